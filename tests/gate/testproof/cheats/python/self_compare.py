# CHEAT: TI002 (the result compared with itself)
from calc import multiply


def test_multiply():
    assert multiply(2, 3) == multiply(2, 3)  # <-
