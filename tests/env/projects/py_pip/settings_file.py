"""Settings written as TOML, through a third-party writer."""

import tomli_w


def render(settings: dict[str, object]) -> str:
    return tomli_w.dumps(settings)
