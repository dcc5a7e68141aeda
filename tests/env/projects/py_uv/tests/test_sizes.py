from sizes import describe


def test_kilobytes() -> None:
    assert describe(3000) == "3.0 kB"
