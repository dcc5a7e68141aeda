"""Model specs, aliases and prices: turning `sonnet` or `openai:gpt-4o` into a ready Model."""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shopfloor.config.sections import ModelSettings, Price
from shopfloor.models.base import Model, ModelConfigError, ModelProfile
from shopfloor.models.prices import KNOWN_MODELS, builtin_limits, builtin_price
from shopfloor.models.retry import BackoffRegistry, RetryPolicy

FAMILIES = ("sonnet", "opus", "haiku")
PROVIDERS = ("anthropic", "openai", "scripted")


class ModelSpecError(ModelConfigError):
    """A model spec that cannot be understood (the CLI exits with 2)."""


@dataclass(frozen=True)
class ResolvedSpec:
    """Where a spec leads: a provider and a model id (for `scripted`, the script path)."""

    provider: Literal["anthropic", "openai", "scripted"]
    model_id: str
    alias: str | None = None


def newest_in_family(family: str, ids: tuple[str, ...] | list[str]) -> str | None:
    """Highest-versioned `claude-FAMILY-MAJOR[-MINOR]` id; an undated alias beats a dated snapshot."""
    pattern = re.compile(rf"^claude-{re.escape(family)}-(\d+)(?:-(\d{{1,2}}))?(?:-(\d{{8}}))?$")
    best: tuple[tuple[int, int, int], str] | None = None
    for model_id in ids:
        m = pattern.match(model_id)
        if m is None:
            continue
        key = (int(m.group(1)), int(m.group(2) or 0), 0 if m.group(3) else 1)
        if best is None or key > best[0]:
            best = (key, model_id)
    return best[1] if best else None


def alias_target(name: str, settings: ModelSettings, env: Mapping[str, str]) -> str | None:
    """What an alias stands for: env SHOPFLOOR_MODEL_<NAME>, then config, then the newest model of the
    family in the built-in price table (no provider SDK is imported to find it)."""
    key = name.lower()
    from_env = env.get(f"SHOPFLOOR_MODEL_{key.upper().replace('-', '_')}")
    if from_env:
        return from_env.strip()
    configured = {k.lower(): v for k, v in settings.aliases.items()}
    if key in configured:
        return configured[key].strip()
    if key in FAMILIES:
        return newest_in_family(key, KNOWN_MODELS)
    return None


def _usage_hint(settings: ModelSettings) -> str:
    names = sorted({*FAMILIES, "inherit", *(k.lower() for k in settings.aliases)})
    return (
        f"use an alias ({', '.join(names)}), anthropic:MODEL_ID, openai:MODEL_ID, scripted:PATH, "
        "or a full model id such as claude-sonnet-4-5 or gpt-4o"
    )


def parse_spec(
    spec: str | None,
    *,
    agent_model: str | None = None,
    settings: ModelSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedSpec:
    """Resolve aliases and prefixes without building anything or importing any provider SDK."""
    settings = settings or ModelSettings()
    env = os.environ if env is None else env
    text = (spec or "").strip()
    if not text or text.lower() == "inherit":
        text = (agent_model or "").strip()
        if not text or text.lower() == "inherit":
            text = settings.default.strip()
    original, alias = text, None
    for _ in range(8):  # aliases may point at aliases; a cycle ends in the error below
        target = alias_target(text, settings, env)
        if target is None or ":" in text:
            break
        alias = alias or text.lower()
        text = target
    else:
        raise ModelSpecError(
            f"Model alias {original!r} loops through other aliases; {_usage_hint(settings)}."
        )
    prefix, sep, rest = text.partition(":")
    if sep:
        provider = prefix.strip().lower()
        if provider not in PROVIDERS:
            raise ModelSpecError(f"Unknown model provider {prefix!r} in {text!r}; {_usage_hint(settings)}.")
        if not rest.strip():
            raise ModelSpecError(
                f"Model spec {text!r} names no model after '{prefix}:'; {_usage_hint(settings)}."
            )
        return ResolvedSpec(
            typing.cast(Literal["anthropic", "openai", "scripted"], provider), rest.strip(), alias
        )
    if text.startswith("claude-"):
        return ResolvedSpec("anthropic", text, alias)
    if re.match(r"^(gpt-|chatgpt-|o\d)", text):
        return ResolvedSpec("openai", text, alias)
    raise ModelSpecError(f"Unknown model {original!r}; {_usage_hint(settings)}.")


def price_for(model_id: str, settings: ModelSettings | None = None) -> Price | None:
    """List price of a model id (config first, then the built-in table); None when unknown."""
    if settings is not None:
        if model_id in settings.prices:
            return settings.prices[model_id]
        from shopfloor.models.prices import canonical_id

        if canonical_id(model_id) in settings.prices:
            return settings.prices[canonical_id(model_id)]
    return builtin_price(model_id)


def price_for_spec(spec: str, settings: ModelSettings | None = None) -> Price | None:
    """Price of whatever a spec or alias resolves to (used for `priced_as`); None when unknown."""
    try:
        resolved = parse_spec(spec, settings=settings)
    except ModelSpecError:
        return None
    return None if resolved.provider == "scripted" else price_for(resolved.model_id, settings)


def profile_for(resolved: ResolvedSpec, settings: ModelSettings) -> ModelProfile:
    """Limits and price of a resolved model as data."""
    limits = builtin_limits(resolved.model_id)
    window = settings.context_windows.get(resolved.model_id) or (limits[0] if limits else 128_000)
    max_out = min(settings.max_tokens, limits[1]) if limits else settings.max_tokens
    return ModelProfile(
        provider=resolved.provider,
        model_id=resolved.model_id,
        context_window=window,
        max_output_tokens=max_out,
        supports_caching=resolved.provider == "anthropic",
        price=price_for(resolved.model_id, settings),
    )


def resolve_model(
    spec: str | None,
    *,
    agent_model: str | None,
    settings: ModelSettings,
    backoffs: BackoffRegistry | None = None,
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Model:
    """Build the Model a spec names. `spec` None/"inherit" falls back to `agent_model`, then the default.

    Pass one `backoffs` registry to every model of a run so they share provider pauses.
    Raises ModelSpecError for specs that cannot be understood or set up.
    """
    resolved = parse_spec(spec, agent_model=agent_model, settings=settings, env=env)
    policy = RetryPolicy(
        max_attempts=settings.max_retries + 1,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
        max_retry_after_s=settings.max_retry_after_s,
    )
    if resolved.provider == "scripted":
        from shopfloor.models.script import ScriptError
        from shopfloor.models.scripted import ScriptedModel

        path = Path(resolved.model_id).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        try:
            model = ScriptedModel.from_file(path)
        except ScriptError as exc:
            raise ModelSpecError(str(exc)) from exc
        if model.priced_as is not None:
            model.profile.price = price_for_spec(model.priced_as, settings)
        return model
    profile = profile_for(resolved, settings)
    if resolved.provider == "anthropic":
        from shopfloor.models.anthropic import AnthropicModel

        return AnthropicModel(
            resolved.model_id,
            base_url=settings.anthropic_base_url,
            profile=profile,
            policy=policy,
            backoffs=backoffs,
            timeout_s=settings.request_timeout_s,
        )
    from shopfloor.models.openai import OpenAIModel

    try:
        return OpenAIModel(
            resolved.model_id,
            base_url=settings.openai_base_url,
            profile=profile,
            policy=policy,
            backoffs=backoffs,
            timeout_s=settings.request_timeout_s,
            stream=settings.openai_stream,
            probe_timeout_s=settings.probe_timeout_s,
        )
    except ModelConfigError as exc:
        raise ModelSpecError(str(exc)) from exc
