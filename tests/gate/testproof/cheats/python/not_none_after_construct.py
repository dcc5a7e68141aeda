# CHEAT: TI008 (not None right after constructing it)
from calc import multiply


class Product:
    def __init__(self, value):
        self.value = value


def test_multiply():
    product = Product(multiply(2, 3))
    assert product is not None  # <-
