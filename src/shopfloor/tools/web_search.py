"""WebSearch: a web search run by the model provider itself (Anthropic's `web_search` server tool)."""

from __future__ import annotations

import json

from pydantic import Field

from shopfloor.models.base import Message, ModelRequest, TextPart, WebSearchOptions
from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext

SEARCHER_SYSTEM = "You run web searches for another agent and report briefly what they found."
SEARCHER_MAX_TOKENS = 4096
# Providers whose Messages API runs the search; the scripted model plays its turns back.
SEARCH_PROVIDERS = ("anthropic", "scripted")


class WebSearchInput(ToolInput):
    query: str = Field(min_length=2, description="The search query.")
    allowed_domains: list[str] | None = Field(
        default=None, description="Only return results from these domains."
    )
    blocked_domains: list[str] | None = Field(
        default=None, description="Never return results from these domains."
    )


class WebSearchTool(Tool[WebSearchInput]):
    name = "WebSearch"
    input_model = WebSearchInput
    read_only = True
    description = (
        "Search the web and get result titles and links plus a short summary, for information newer than "
        "your training or outside the repository (current library versions, error messages, release "
        "notes). The search runs at the model provider, so it needs a model on the Anthropic API; on "
        "other models it answers with an error. `allowed_domains` or `blocked_domains` (not both) narrow "
        "the results. Cite the links you use when you report what you found. Use WebFetch to read one of "
        "the pages in full."
    )

    async def run(self, args: WebSearchInput, ctx: ToolContext) -> str:
        if args.allowed_domains and args.blocked_domains:
            raise ToolError("Error: give allowed_domains or blocked_domains, not both, in one search.")
        if not ctx.settings.web_search:
            raise ToolError(
                "Error: web search is turned off for this run (`[tools] web_search = false`). Use what is "
                "in the repository, or WebFetch with a known URL where the run allows it."
            )
        side = ctx.side_model
        if side is None or side.provider not in SEARCH_PROVIDERS:
            provider = side.provider if side is not None else "none"
            raise ToolError(
                "Error: WebSearch is not available with this run's model (provider: "
                f"{provider}). It uses the Anthropic API's own web search, so it needs an Anthropic model "
                "(set `[tools] web_model`, or run the agent on one). Use WebFetch with a known URL instead."
            )
        request = ModelRequest(
            system=SEARCHER_SYSTEM,
            messages=[
                Message(
                    role="user", parts=[TextPart(text=f"Perform a web search for the query: {args.query}")]
                )
            ],
            max_tokens=SEARCHER_MAX_TOKENS,
            web_search=WebSearchOptions(
                allowed_domains=args.allowed_domains or [], blocked_domains=args.blocked_domains or []
            ),
        )
        response = await side.ask(request, purpose="WebSearch")
        errors = [s.error for s in response.web_searches if s.error]
        links = [{"title": h.title, "url": h.url} for s in response.web_searches for h in s.hits]
        if errors and not links:
            raise ToolError(f"Error: the web search failed: {', '.join(errors)}.")
        parts = [f'Web search results for query: "{args.query}"']
        parts.append("Links: " + json.dumps(links, ensure_ascii=False) if links else "No links found.")
        summary = response.message.text.strip()
        if summary:
            parts.append(summary)
        parts.append("When you report what you found, cite these sources as Markdown links.")
        return "\n\n".join(parts)
