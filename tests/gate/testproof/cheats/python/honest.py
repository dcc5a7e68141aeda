# HONEST
from calc import multiply


def test_multiply():
    assert multiply(2, 3) == 6
    assert multiply(-4, 5) == -20
