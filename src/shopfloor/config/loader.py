"""Reading configuration layers: shopfloor.toml or [tool.shopfloor], then SHOPFLOOR_* variables."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "SHOPFLOOR_"


class ConfigError(Exception):
    """A configuration file or variable is malformed; the message names where."""


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value in `over` replaces the one in `base`."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_project_config(root: Path) -> tuple[dict[str, Any], Path | None]:
    """The project's config table and the file it came from (shopfloor.toml wins over pyproject)."""
    for name, table in (("shopfloor.toml", None), ("pyproject.toml", ("tool", "shopfloor"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: {err}") from err
        except UnicodeDecodeError as err:
            raise ConfigError(f"{path} is not UTF-8 text (byte {err.start}); save it as UTF-8") from err
        for key in table or ():
            data = data.get(key) if isinstance(data, dict) else None
        if isinstance(data, dict):
            return data, path
    return {}, None


def _parse_env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`SHOPFLOOR_LIMITS__MAX_TURNS=5` becomes {"limits": {"max_turns": 5}}; values parse as JSON."""
    out: dict[str, Any] = {}
    for key, raw in (os.environ if environ is None else environ).items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        path = [p.lower() for p in key[len(ENV_PREFIX) :].split("__") if p]
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _parse_env_value(raw)
    return out


def has_path(tree: Mapping[str, Any], path: tuple[str | int, ...]) -> bool:
    """True when `tree` holds a value at `path` (keys of nested tables)."""
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def env_name(path: tuple[str | int, ...]) -> str:
    """The variable that sets `path`: ("limits", "max_turns") -> SHOPFLOOR_LIMITS__MAX_TURNS."""
    return ENV_PREFIX + "__".join(str(p).upper() for p in path)
