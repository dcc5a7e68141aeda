from store import ping


def test_the_database_answers() -> None:
    assert ping() == b"pong\n"
