# CHEAT: TI008 (a length is never negative)
from calc import multiply


def test_multiply():
    products = [multiply(2, 3)]
    assert len(products) >= 0  # <-
