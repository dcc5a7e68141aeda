# CHEAT: TI007 (the unit under test patched, then the patch asserted)
from unittest import mock

import calc


def test_multiply():
    with mock.patch.object(calc, "multiply", return_value=6):  # <-
        assert calc.multiply(2, 3) == 6
