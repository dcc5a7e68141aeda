"""Rough prompt sizing, and asking a local server how large a context it actually serves.

Token counts here are estimates at about four characters per token: good enough to refuse a
hopeless setup (a 4k-token local model offered a 12k-token system prompt) before spending a call,
not for billing. Newer tokenizers count somewhat more tokens for the same text.
"""

from __future__ import annotations

import json
from typing import Any

import anyio

from shopfloor.models.base import ContextTooSmallError, ModelRequest, ToolSpec

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def estimate_prompt_tokens(system: str, tools: list[ToolSpec]) -> int:
    if not tools:
        return estimate_tokens(system)
    tool_text = json.dumps([t.model_dump() for t in tools], separators=(",", ":"))
    return estimate_tokens(system) + estimate_tokens(tool_text)


def estimate_request_tokens(request: ModelRequest) -> int:
    messages = json.dumps([m.model_dump() for m in request.messages], separators=(",", ":"))
    return estimate_prompt_tokens(request.system.text, request.tools) + estimate_tokens(messages)


def ensure_fits(system: str, tools: list[ToolSpec], *, window: int, model_id: str, source: str) -> None:
    """Raise ContextTooSmallError when system prompt plus tool definitions exceed `window` tokens."""
    need = estimate_prompt_tokens(system, tools)
    if need <= window:
        return
    raise ContextTooSmallError(
        f"The system prompt and {len(tools)} tool definitions need about {need} tokens "
        f"(estimated at {CHARS_PER_TOKEN} characters per token), but {model_id} has a context window "
        f"of {window} tokens ({source}). Use a model with a larger window, raise the server's context "
        "size (vLLM --max-model-len, llama.cpp -c, Ollama num_ctx), or give the agent fewer tools and skills."
    )


def _server_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _fetch_json(url: str, *, api_key: str | None, timeout_s: float, body: dict[str, Any] | None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    import urllib.error  # only local-server probes need it: keep it off every agent's start-up
    import urllib.request

    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if api_key:
        req.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return json.loads(resp.read(2_000_000))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _from_vllm_models(payload: Any, model_id: str) -> int | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        return None
    entries = [e for e in payload["data"] if isinstance(e, dict)]
    matching = [e for e in entries if e.get("id") == model_id] or (entries if len(entries) == 1 else [])
    for entry in matching:
        if (n := _positive_int(entry.get("max_model_len"))) is not None:
            return n
    return None


def _from_llamacpp_props(payload: Any) -> int | None:
    if not isinstance(payload, dict):
        return None
    settings = payload.get("default_generation_settings")
    if isinstance(settings, dict) and (n := _positive_int(settings.get("n_ctx"))) is not None:
        return n
    return _positive_int(payload.get("n_ctx"))


def _from_ollama_show(payload: Any) -> int | None:
    if not isinstance(payload, dict):
        return None
    # num_ctx is what the server will actually allocate; context_length is what the model was trained for.
    params = payload.get("parameters")
    if isinstance(params, str):
        for line in params.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "num_ctx" and (n := _positive_int(parts[1])) is not None:
                return n
    info = payload.get("model_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if key.endswith("context_length") and (n := _positive_int(value)) is not None:
                return n
    return None


async def probe_served_context_window(
    base_url: str, model_id: str, *, api_key: str | None = None, timeout_s: float = 2.0
) -> tuple[int, str] | None:
    """Ask an OpenAI-compatible local server for its context size: (tokens, where it came from) or None."""

    def probe() -> tuple[int, str] | None:
        root = _server_root(base_url)
        models = _fetch_json(
            f"{base_url.rstrip('/')}/models", api_key=api_key, timeout_s=timeout_s, body=None
        )
        if (n := _from_vllm_models(models, model_id)) is not None:
            return n, "max_model_len reported by the server"
        props = _fetch_json(f"{root}/props", api_key=api_key, timeout_s=timeout_s, body=None)
        if (n := _from_llamacpp_props(props)) is not None:
            return n, "n_ctx reported by the server"
        show = _fetch_json(f"{root}/api/show", api_key=api_key, timeout_s=timeout_s, body={"model": model_id})
        if (n := _from_ollama_show(show)) is not None:
            return n, "context size reported by the server"
        return None

    return await anyio.to_thread.run_sync(probe)
