# CHEAT: TI008 (an assertion that cannot be false)
from calc import multiply


def test_multiply():
    assert isinstance(multiply(2, 3), int) or True  # <-
