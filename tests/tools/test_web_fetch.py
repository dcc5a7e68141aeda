"""WebFetch against a real local web server, reading pages with the run's small model through the fake
provider, as Claude Code does: permission first, redirects reported, a size cap and a cache."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shopfloor.agent.budget import Budget
from shopfloor.agent.events import Event, ModelReplied
from shopfloor.agent.side_model import SideModel
from shopfloor.config.sections import LimitSettings, ModelSettings, ToolSettings
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.scripted import ScriptedModel
from shopfloor.testing import FakeProvider
from shopfloor.tools.context import ToolContext
from shopfloor.tools.policy import ToolPolicy
from shopfloor.tools.web_fetch import WebFetchTool
from shopfloor.tools.web_page import PageCache, html_to_markdown, normalized_url
from tests.toolcall import call

pytestmark = pytest.mark.anyio

PAGE = """<html><head><title>T</title><style>body{color:red}</style></head><body>
<h1>Release notes</h1><p>Version <b>2.1</b> adds <a href="/docs">streaming</a>.</p>
<script>alert('x')</script><ul><li>faster</li><li>smaller</li></ul></body></html>"""


class Site:
    """A local web server whose routes the tests set; it counts the requests it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                site.hits.append(self.path)
                status, ctype, body, headers = site.routes.get(self.path, (404, "text/plain", b"missing", {}))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def page(self, path: str, body: str, ctype: str = "text/html; charset=utf-8") -> None:
        self.routes[path] = (200, ctype, body.encode(), {})

    def redirect(self, path: str, to: str) -> None:
        self.routes[path] = (302, "text/plain", b"", {"Location": to})


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.shutdown()
    s.server.server_close()


Reader = Callable[..., Budget]


@pytest.fixture
async def reader(fake_provider_env: FakeProvider) -> AsyncIterator[Reader]:
    """Gives a context the side model a run would: haiku at the (fake) Anthropic API, with a budget."""
    opened: list[tuple[AnthropicModel, SideModel]] = []

    def give(ctx: ToolContext, events: list[Event], *, web: bool = True, **tools: object) -> Budget:
        fake = fake_provider_env
        settings = ToolSettings(web=web, **tools)  # type: ignore[arg-type]
        models = ModelSettings(anthropic_base_url=fake.anthropic_base_url)
        agent = AnthropicModel(
            "claude-sonnet-4-6", api_key="sk-test-key-123456", base_url=fake.anthropic_base_url
        )
        budget = Budget(LimitSettings())
        ctx.settings = settings
        ctx.policy = ToolPolicy.of(ctx.workspace.root, [], [], web=web)
        ctx.pages = PageCache(settings.fetch_cache_s)
        side = SideModel(agent, budget, events.append, "T-1", settings, models)
        ctx.side_model = side
        opened.append((agent, side))
        return budget

    yield give
    for agent, side in opened:
        await side.aclose()
        await agent.aclose()


async def test_fetch_reads_the_page_with_the_small_model_and_caches_it(
    tool_ctx: ToolContext, site: Site, fake_provider_env: FakeProvider, reader: Reader
) -> None:
    site.page("/notes", PAGE)
    events: list[Event] = []
    budget = reader(tool_ctx, events)
    fake_provider_env.push("Version 2.1 adds streaming.", "It got faster and smaller.")

    first = await call(WebFetchTool(), tool_ctx, url=site.url("/notes"), prompt="What is new?")
    again = await call(WebFetchTool(), tool_ctx, url=site.url("/notes"), prompt="What else?")

    assert not first.is_error and first.content == "Version 2.1 adds streaming."
    assert again.content == "It got faster and smaller."
    assert site.hits == ["/notes"]  # the second question was answered from the cache
    asked = fake_provider_env.calls[0]
    assert asked.body["model"].startswith("claude-haiku")
    text = asked.first_user_text
    assert "# Release notes" in text and "[streaming](/docs)" in text and "- faster" in text
    assert "alert" not in text and "color:red" not in text
    assert "What is new?" in text
    assert asked.body.get("tools") is None
    assert budget.usage.total_tokens > 0 and budget.turns == 0
    replies = [e for e in events if isinstance(e, ModelReplied)]
    assert [e.via for e in replies] == [["WebFetch"], ["WebFetch"]]


async def test_without_network_permission_the_answer_says_how_to_allow_it(
    tool_ctx: ToolContext, site: Site, fake_provider_env: FakeProvider, reader: Reader
) -> None:
    site.page("/notes", PAGE)
    reader(tool_ctx, [], web=False)
    result = await call(WebFetchTool(), tool_ctx, url=site.url("/notes"), prompt="x")
    assert result.is_error
    assert "`web = true` under `[tools]`" in result.content
    assert "`WebFetch(domain:127.0.0.1)`" in result.content
    assert site.hits == [] and fake_provider_env.calls == []

    # A domain rule in the agent's `tools:` allows that host alone.
    assert tool_ctx.policy is not None
    tool_ctx.policy = ToolPolicy.of(tool_ctx.workspace.root, ["WebFetch(domain:127.0.0.1)"], [])
    fake_provider_env.push("fine")
    allowed = await call(WebFetchTool(), tool_ctx, url=site.url("/notes"), prompt="x")
    assert allowed.content == "fine"
    refused = await call(WebFetchTool(), tool_ctx, url=site.url("/notes", host="localhost"), prompt="x")
    assert refused.is_error


async def test_redirects_to_another_host_are_reported_not_followed(
    tool_ctx: ToolContext, site: Site, fake_provider_env: FakeProvider, reader: Reader
) -> None:
    site.page("/new", PAGE)
    site.redirect("/moved", site.url("/new"))  # same host: followed
    site.redirect("/away", site.url("/new", host="localhost"))  # another host: reported
    reader(tool_ctx, [])
    fake_provider_env.push("answer")
    moved = await call(WebFetchTool(), tool_ctx, url=site.url("/moved"), prompt="x")
    assert moved.content == f"(The page was fetched from {site.url('/new')} after a redirect.)\n\nanswer"
    away = await call(WebFetchTool(), tool_ctx, url=site.url("/away"), prompt="Summarise it")
    assert not away.is_error
    assert away.content.startswith("REDIRECT DETECTED")
    assert f"Redirect URL: {site.url('/new', host='localhost')}" in away.content
    assert "Status: 302" in away.content and 'prompt: "Summarise it"' in away.content
    assert len(fake_provider_env.calls) == 1


async def test_failures_are_tool_errors(
    tool_ctx: ToolContext, site: Site, fake_provider_env: FakeProvider, reader: Reader
) -> None:
    site.page("/big", "x" * 5000)
    site.routes["/image"] = (200, "image/png", b"\x89PNG....", {})
    reader(tool_ctx, [], fetch_max_bytes=1000)
    missing = await call(WebFetchTool(), tool_ctx, url=site.url("/nothing"), prompt="x")
    assert missing.is_error and "status code 404" in missing.content
    big = await call(WebFetchTool(), tool_ctx, url=site.url("/big"), prompt="x")
    assert big.is_error and "larger than 1,000 bytes" in big.content
    image = await call(WebFetchTool(), tool_ctx, url=site.url("/image"), prompt="x")
    assert image.is_error and "image/png" in image.content
    bad = await call(WebFetchTool(), tool_ctx, url="ftp://example.com/x", prompt="x")
    assert bad.is_error and "not a valid http(s) URL" in bad.content
    assert fake_provider_env.calls == []


async def test_long_pages_are_cut_before_the_model_reads_them(
    tool_ctx: ToolContext, site: Site, fake_provider_env: FakeProvider, reader: Reader
) -> None:
    site.page("/long", "word " * 5000, ctype="text/plain")
    reader(tool_ctx, [], fetch_max_chars=2000)
    fake_provider_env.push("ok")
    await call(WebFetchTool(), tool_ctx, url=site.url("/long"), prompt="x")
    text = fake_provider_env.calls[0].first_user_text
    assert "[The page was cut here" in text and text.count("word") < 500


async def test_a_scripted_run_reads_pages_with_its_own_model(tool_ctx: ToolContext, site: Site) -> None:
    site.page("/notes", PAGE)
    model = ScriptedModel(["From the script."])
    tool_ctx.settings = ToolSettings(web=True)
    tool_ctx.side_model = SideModel(model, Budget(LimitSettings()), lambda _e: None, "T-1", tool_ctx.settings,
                                    ModelSettings())  # fmt: skip
    result = await call(WebFetchTool(), tool_ctx, url=site.url("/notes"), prompt="x")
    assert result.content == "From the script."
    assert "# Release notes" in model.requests[0].messages[0].text


def test_urls_are_upgraded_to_https_except_on_this_machine() -> None:
    assert normalized_url("http://example.com/a?b=1") == "https://example.com/a?b=1"
    assert normalized_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"
    assert normalized_url("http://localhost/x") == "http://localhost/x"


def test_html_becomes_markdown(tmp_path: Path) -> None:
    md = html_to_markdown(PAGE)
    assert md.startswith("# Release notes")
    assert "Version **2.1** adds [streaming](/docs)." in md
    assert "alert" not in md and "color" not in md
