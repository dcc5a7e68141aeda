"""WebFetch: fetch a URL and answer a prompt about the page with a small model, as Claude Code does."""

from __future__ import annotations

from pydantic import Field

from shopfloor.models.base import Message, ModelRequest, TextPart
from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext
from shopfloor.tools.web_page import Page, PageCache, Redirect, fetch_page, normalized_url

READER_SYSTEM = "You answer one question about one web page, using only the page's content."
READER_MAX_TOKENS = 4096


class WebFetchInput(ToolInput):
    url: str = Field(description="The URL to fetch (http is upgraded to https).")
    prompt: str = Field(description="What to find out from the page.")


class WebFetchTool(Tool[WebFetchInput]):
    name = "WebFetch"
    input_model = WebFetchInput
    read_only = True
    description = (
        "Fetch a web page and get an answer to a prompt about it. The page is downloaded, HTML is turned "
        "into Markdown, and a small fast model reads it and answers `prompt`; you get that answer, not "
        "the raw page. Use it to read documentation, an issue or an API reference.\n\n"
        "- `url` must be a full URL; http is upgraded to https.\n"
        "- Say in `prompt` exactly what you need from the page.\n"
        "- A redirect to another host is not followed: the answer gives the new URL, and you call "
        "WebFetch again with it.\n"
        "- Pages are cached for a while, so asking again about the same URL is cheap.\n"
        "- The run decides which hosts may be reached; a refused fetch says how to allow it.\n"
        "- For anything needing a login (private repositories, dashboards) this tool will not work; "
        "use the project's own tools through Bash instead."
    )

    async def run(self, args: WebFetchInput, ctx: ToolContext) -> str:
        url = normalized_url(args.url)
        if not network_allowed(ctx, url):
            raise ToolError(refusal(url))
        cache = ctx.pages if ctx.pages is not None else PageCache(ctx.settings.fetch_cache_s)
        page = cache.get(url)
        if page is None:
            fetched = await fetch_page(
                url, max_bytes=ctx.settings.fetch_max_bytes, timeout_s=ctx.settings.fetch_timeout_s
            )
            if isinstance(fetched, Redirect):
                return redirect_notice(fetched, args.prompt)
            page = fetched
            cache.put(url, page)
        content = page.text
        max_chars = ctx.settings.fetch_max_chars
        if len(content) > max_chars:
            content = (
                content[:max_chars] + "\n\n[The page was cut here: it is longer than the reading limit.]"
            )
        moved = f"(The page was fetched from {page.url} after a redirect.)\n\n" if page.url != url else ""
        if ctx.side_model is None:
            return moved + f"No model is available to read the page, so here is its content:\n\n{content}"
        request = ModelRequest(
            system=READER_SYSTEM,
            messages=[
                Message(role="user", parts=[TextPart(text=reader_prompt(page.url, content, args.prompt))])
            ],
            max_tokens=READER_MAX_TOKENS,
        )
        response = await ctx.side_model.ask(request, purpose="WebFetch")
        answer = response.message.text.strip() or "(The model reading the page gave no answer.)"
        return moved + answer


def network_allowed(ctx: ToolContext, url: str) -> bool:
    """The one check of whether WebFetch may reach `url` (settings, or the agent's rules)."""
    if ctx.policy is not None:
        return ctx.policy.fetch_allowed(url)
    return ctx.settings.web


def refusal(url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or url
    return (
        f"Error: WebFetch may not reach {host} in this run: network access for it is off. To allow it, "
        "set `web = true` under `[tools]` in shopfloor.toml (every host), or list "
        f"`WebFetch(domain:{host})` in the agent's `tools:` (this host only)."
    )


def reader_prompt(url: str, content: str, prompt: str) -> str:
    return (
        f"Web page content (from {url}):\n---\n{content}\n---\n\n{prompt}\n\n"
        "Answer from the page content above only, briefly. Keep any quotation under 125 characters "
        "and do not reproduce long passages. If the page does not answer the question, say so."
    )


def redirect_notice(redirect: Redirect, prompt: str) -> str:
    return (
        "REDIRECT DETECTED: the URL redirects to a different host, which was not followed.\n\n"
        f"Original URL: {redirect.url}\nRedirect URL: {redirect.location}\nStatus: {redirect.status}\n\n"
        "To read the page, call WebFetch again with:\n"
        f'- url: "{redirect.location}"\n- prompt: "{prompt}"'
    )


__all__ = ["Page", "WebFetchTool", "network_allowed"]
