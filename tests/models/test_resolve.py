"""Model specs, aliases, prices and cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.config.sections import ModelSettings, Price
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import ModelConfigError, Usage
from shopfloor.models.openai import OpenAIModel
from shopfloor.models.prices import KNOWN_MODELS
from shopfloor.models.resolve import (
    ModelSpecError,
    newest_in_family,
    parse_spec,
    price_for,
    resolve_model,
)
from shopfloor.models.scripted import ScriptedModel

NO_ENV: dict[str, str] = {}


def test_newest_in_family_orders_by_version() -> None:
    ids = [
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-5",
        "claude-sonnet-4-20250514",
        "claude-sonnet-4-6",
        "claude-sonnet-5",
        "claude-opus-9",
        "claude-3-7-sonnet-latest",
    ]
    assert newest_in_family("sonnet", ids) == "claude-sonnet-5"
    assert newest_in_family("sonnet", ids[:3]) == "claude-sonnet-4-5"  # undated beats its snapshot
    assert newest_in_family("haiku", ids) is None


@pytest.mark.parametrize("alias", ["sonnet", "opus", "haiku"])
def test_aliases_name_the_newest_known_model_of_their_family(alias: str) -> None:
    resolved = parse_spec(alias, env=NO_ENV)
    assert resolved.provider == "anthropic"
    assert resolved.model_id.startswith(f"claude-{alias}-")
    assert resolved.model_id == newest_in_family(alias, KNOWN_MODELS)
    assert resolved.alias == alias
    assert price_for(resolved.model_id) is not None  # an alias always lands on a priced model


def test_resolving_aliases_imports_no_provider_sdk() -> None:
    """An SDK costs about a second to import; only the adapter that calls it may load it."""
    code = (
        "import sys\n"
        "from shopfloor.models.resolve import parse_spec, price_for_spec, resolve_model\n"
        "from shopfloor.config.sections import ModelSettings\n"
        "for alias in ('sonnet', 'opus', 'haiku', 'inherit'):\n"
        "    parse_spec(alias, env={})\n"
        "    price_for_spec(alias)\n"
        "print(sorted(m for m in ('anthropic', 'openai') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_alias_overrides_env_beats_config() -> None:
    settings = ModelSettings(aliases={"sonnet": "claude-sonnet-4-6", "local": "openai:qwen2.5-coder"})
    assert parse_spec("sonnet", settings=settings, env=NO_ENV).model_id == "claude-sonnet-4-6"
    env = {"SHOPFLOOR_MODEL_SONNET": "anthropic:claude-sonnet-4-5-20250929"}
    assert parse_spec("Sonnet", settings=settings, env=env).model_id == "claude-sonnet-4-5-20250929"
    local = parse_spec("local", settings=settings, env=NO_ENV)
    assert (local.provider, local.model_id, local.alias) == ("openai", "qwen2.5-coder", "local")


def test_inherit_uses_the_agent_model_then_the_default() -> None:
    settings = ModelSettings(default="haiku", aliases={"haiku": "claude-haiku-4-5"})
    assert parse_spec("inherit", agent_model="gpt-4o", settings=settings, env=NO_ENV).model_id == "gpt-4o"
    assert (
        parse_spec(None, agent_model="inherit", settings=settings, env=NO_ENV).model_id == "claude-haiku-4-5"
    )
    assert parse_spec("", agent_model=None, settings=settings, env=NO_ENV).model_id == "claude-haiku-4-5"
    # An explicit spec wins over the agent file's model.
    assert parse_spec("o3", agent_model="sonnet", settings=settings, env=NO_ENV).model_id == "o3"


@pytest.mark.parametrize(
    ("spec", "provider", "model_id"),
    [
        ("anthropic:claude-opus-4-6", "anthropic", "claude-opus-4-6"),
        ("openai:llama3.1:8b", "openai", "llama3.1:8b"),
        ("claude-haiku-4-5-20251001", "anthropic", "claude-haiku-4-5-20251001"),
        ("gpt-4.1-mini", "openai", "gpt-4.1-mini"),
        ("o4-mini", "openai", "o4-mini"),
        ("scripted:demo/turns.yaml", "scripted", "demo/turns.yaml"),
    ],
)
def test_explicit_specs(spec: str, provider: str, model_id: str) -> None:
    resolved = parse_spec(spec, env=NO_ENV)
    assert (resolved.provider, resolved.model_id) == (provider, model_id)


@pytest.mark.parametrize("spec", ["gemini:pro", "anthropic:", "openai:  ", "sonet", "llama3"])
def test_bad_specs_raise_a_clear_error(spec: str) -> None:
    with pytest.raises(ModelSpecError) as info:
        parse_spec(spec, env=NO_ENV)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ModelConfigError)
    assert "anthropic:MODEL_ID" in str(info.value)


def test_alias_cycle_is_an_error() -> None:
    settings = ModelSettings(aliases={"a": "b", "b": "a"})
    with pytest.raises(ModelSpecError, match="loops"):
        parse_spec("a", settings=settings, env=NO_ENV)


def test_cost_math_for_a_known_model() -> None:
    price = price_for("claude-sonnet-4-5-20250929")
    assert price == Price(input=3, output=15, cache_write=3.75, cache_read=0.30)
    usage = Usage(
        input_tokens=1_000_000, output_tokens=200_000, cache_write_tokens=400_000, cache_read_tokens=2_000_000
    )
    assert price.cost(usage) == pytest.approx(3 + 3 + 1.5 + 0.6)


def test_unknown_model_has_no_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    settings = ModelSettings()
    for spec in ("openai:my-local-model", "claude-future-9"):
        model = resolve_model(spec, agent_model=None, settings=settings, env=NO_ENV)
        assert model.profile.price is None
        assert model.profile.cost(Usage(input_tokens=1000, output_tokens=1000)) is None


def test_configured_prices_override_the_table() -> None:
    settings = ModelSettings(prices={"gpt-4o": Price(input=1, output=2)})
    assert price_for("gpt-4o-2024-08-06", settings) == Price(input=1, output=2)
    assert price_for("gpt-4o") == Price(input=2.5, output=10, cache_write=2.5, cache_read=1.25)


def test_resolve_builds_adapters_with_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdef")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-abcdef")
    settings = ModelSettings(max_tokens=50_000, context_windows={"gpt-4o": 64_000})
    claude = resolve_model("sonnet", agent_model=None, settings=settings, env=NO_ENV)
    assert isinstance(claude, AnthropicModel)
    assert claude.profile.supports_caching and claude.profile.price is not None
    assert claude.profile.max_output_tokens <= 50_000
    gpt = resolve_model(None, agent_model="gpt-4o", settings=settings, env=NO_ENV)
    assert isinstance(gpt, OpenAIModel)
    assert gpt.profile.context_window == 64_000
    assert gpt.profile.max_output_tokens == 16_384  # the model's own limit is lower than the setting


def test_openai_without_key_or_local_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelSpecError, match="OPENAI_API_KEY"):
        resolve_model("gpt-4o", agent_model=None, settings=ModelSettings(), env=NO_ENV)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    local = resolve_model("openai:qwen2.5-coder", agent_model=None, settings=ModelSettings(), env=NO_ENV)
    assert isinstance(local, OpenAIModel) and local.is_local


def test_anthropic_base_url_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9999")
    model = AnthropicModel("claude-haiku-4-5", api_key="sk-test-x1234567")
    assert model.base_url == "http://127.0.0.1:9999"


def test_scripted_spec_reports_a_real_price(tmp_path: Path) -> None:
    script = tmp_path / "turns.yaml"
    script.write_text("priced_as: sonnet\nturns:\n  - Hello\n")
    settings = ModelSettings(aliases={"sonnet": "claude-sonnet-4-6"})
    model = resolve_model(
        "scripted:turns.yaml", agent_model=None, settings=settings, base_dir=tmp_path, env=NO_ENV
    )
    assert isinstance(model, ScriptedModel)
    assert model.profile.provider == "scripted"
    assert model.profile.price == price_for("claude-sonnet-4-6")


def test_broken_script_is_a_spec_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("- text: hi\n  tool_calls: [{tool: Read, nonsense: 1}]\n")
    with pytest.raises(ModelSpecError, match="turn 1"):
        resolve_model("scripted:bad.yaml", agent_model=None, settings=ModelSettings(), base_dir=tmp_path)
    with pytest.raises(ModelSpecError, match="cannot read script"):
        resolve_model("scripted:missing.yaml", agent_model=None, settings=ModelSettings(), base_dir=tmp_path)


def test_anthropic_without_a_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with pytest.raises(ModelConfigError, match="ANTHROPIC_API_KEY is not set"):
        resolve_model("sonnet", agent_model=None, settings=ModelSettings(), env=NO_ENV)
