from settings_file import render


def test_render() -> None:
    assert render({"port": 8080}) == "port = 8080\n"
