"""Configuration layers: defaults, shopfloor.toml or [tool.shopfloor], SHOPFLOOR_* variables, flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.config.loader import ConfigError
from shopfloor.config.settings import AgentConfig, load_settings


def test_each_layer_overrides_the_one_below_and_tables_merge_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "shopfloor.toml").write_text("[run]\nparallel = 2\nattempts = 5\n[gate]\ntimeout_s = 30\n")
    env = {"SHOPFLOOR_RUN__ATTEMPTS": "7", "SHOPFLOOR_GATE__COMMANDS": '["make check"]'}
    settings = load_settings(tmp_path, environ=env, overrides={"run": {"parallel": 9}})
    assert settings.run.parallel == 9  # the flag beats the file
    assert settings.run.attempts == 7  # the environment beats the file
    assert settings.gate.timeout_s == 30  # the file beats the default
    assert settings.gate.commands == ["make check"]  # JSON values from the environment
    assert settings.run.merge_attempts == 2  # untouched keys keep their defaults


def test_pyproject_tool_table_is_read_and_shopfloor_toml_wins_over_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.shopfloor.run]\nparallel = 3\n")
    assert load_settings(tmp_path, environ={}).run.parallel == 3
    (tmp_path / "shopfloor.toml").write_text("[run]\nparallel = 6\n")
    assert load_settings(tmp_path, environ={}).run.parallel == 6


def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path) -> None:
    (tmp_path / "shopfloor.toml").write_text("[run]\nparallel = 0\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    assert "shopfloor.toml" in str(info.value) and "run.parallel" in str(info.value)


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shopfloor.toml").write_text("[gate]\ncomands = ['x']\n")
    with pytest.raises(ConfigError, match="comands"):
        load_settings(tmp_path, environ={})


def test_routing_maps_are_laid_over_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "shopfloor.toml").write_text('[routing.models]\neasy = "sonnet"\n')
    routing = load_settings(tmp_path, environ={}).routing
    assert routing.models == {"easy": "sonnet", "normal": "sonnet", "complex": "opus"}
    assert routing.agents["backend"] == "backend-agent"


def test_the_agent_slice_carries_only_what_an_agent_reads(tmp_path: Path) -> None:
    (tmp_path / "shopfloor.toml").write_text("[run]\ntask_deadline_s = 120\n[limits]\nmax_turns = 9\n")
    settings = load_settings(tmp_path, environ={})
    config = AgentConfig.of(settings)
    assert config.limits.max_turns == 9 and config.deadline_s == 120
    assert config.models is settings.models and config.sandbox is settings.sandbox
