"""Fetching one web page for WebFetch: redirects reported, a size cap, HTML turned into Markdown,
and a short-lived cache."""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

import anyio

from shopfloor import __version__
from shopfloor.tools.errors import ToolError

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 10
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml", "+json", "+xml")
_DROPPED_TAGS = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")


@dataclass(frozen=True)
class Page:
    """A fetched page as text: Markdown for HTML, the text itself otherwise."""

    url: str
    status: int
    content_type: str
    text: str
    bytes: int


@dataclass(frozen=True)
class Redirect:
    """A redirect to another host: reported to the model rather than followed (as Claude Code does)."""

    url: str
    location: str
    status: int


@dataclass
class PageCache:
    """Pages by URL for `ttl_s` seconds; Claude Code keeps fetched pages for 15 minutes."""

    ttl_s: float = 900.0
    max_entries: int = 64
    _pages: dict[str, tuple[float, Page]] = field(default_factory=dict)

    def get(self, url: str) -> Page | None:
        hit = self._pages.get(url)
        if hit is None or time.monotonic() - hit[0] > self.ttl_s:
            self._pages.pop(url, None)
            return None
        return hit[1]

    def put(self, url: str, page: Page) -> None:
        if len(self._pages) >= self.max_entries:
            self._pages.pop(next(iter(self._pages)))
        self._pages[url] = (time.monotonic(), page)


def normalized_url(raw: str) -> str:
    """The URL to fetch: http becomes https (except on this machine), and it must name a host."""
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError(f"Error: `{raw}` is not a valid http(s) URL with a host.")
    if len(text) > 2000:
        raise ToolError("Error: the URL is longer than 2000 characters.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        parts = parts._replace(scheme="https")
    return urlunsplit(parts)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_site(a: str, b: str) -> bool:
    def bare(url: str) -> str:
        host = (urlsplit(url).hostname or "").lower()
        return host.removeprefix("www.")

    return bare(a) == bare(b)


async def fetch_page(url: str, *, max_bytes: int, timeout_s: float) -> Page | Redirect:
    """Download `url`, following redirects on the same site; another host comes back as a Redirect."""
    import httpx

    headers = {
        "User-Agent": f"shopfloor-webfetch/{__version__}",
        "Accept": "text/markdown, text/html;q=0.9, text/plain;q=0.8, */*;q=0.5",
    }
    current = url
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout_s, headers=headers) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = urljoin(current, response.headers.get("location", ""))
                        if not _same_site(current, location):
                            return Redirect(current, location, response.status_code)
                        current = location
                        continue
                    if response.status_code >= 400:
                        reason = response.reason_phrase or "error"
                        raise ToolError(
                            f"Error: request failed with status code {response.status_code} ({reason}) "
                            f"for {current}."
                        )
                    body = await _read_capped(response, max_bytes, current)
                    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    encoding = response.encoding or "utf-8"
                    status = response.status_code
            except httpx.TimeoutException:
                raise ToolError(f"Error: {current} did not answer within {timeout_s:.0f} seconds.") from None
            except httpx.HTTPError as err:
                raise ToolError(f"Error: cannot fetch {current}: {type(err).__name__}: {err}") from None
            # Turning a large page into Markdown takes seconds; other agents' turns go on meanwhile.
            text = await anyio.to_thread.run_sync(_as_text, body, content_type, encoding)
            return Page(current, status, content_type, text, len(body))
    raise ToolError(f"Error: {url} redirected more than {MAX_REDIRECTS} times.")


async def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise ToolError(
                f"Error: {url} is larger than {max_bytes:,} bytes (the WebFetch limit, "
                "`[tools] fetch_max_bytes`), so it was not read."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _as_text(body: bytes, content_type: str, encoding: str) -> str:
    if content_type and not any(t in content_type for t in _TEXT_TYPES):
        raise ToolError(
            f"Error: the page is `{content_type}`, not text, so WebFetch cannot read it. "
            "Download it with Bash (curl) if the run allows network there."
        )
    text = body.decode(encoding, errors="replace")
    if "html" in content_type or (not content_type and "<html" in text[:2000].lower()):
        return html_to_markdown(text)
    return text


def html_to_markdown(html: str) -> str:
    """Readable Markdown for a page: scripts, styles and the head dropped, headings as `#`."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(list(_DROPPED_TAGS)):
        tag.decompose()
    markdown = MarkdownConverter(heading_style="ATX", bullets="-").convert_soup(soup)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()
