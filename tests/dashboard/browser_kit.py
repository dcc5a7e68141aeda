"""Driving Debian's Chromium with Playwright: fresh pages at desktop or phone size, every console error
and page error collected, and screenshots kept where `SHOPFLOOR_SCREENSHOTS` says (docs/screenshots to
refresh the README's)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


class Pages:
    """Pages in fresh browser contexts; `close()` returns every error any of them logged."""

    def __init__(self, browser: Browser, shots: Path) -> None:
        self.browser = browser
        self.shots = shots
        self.errors: list[str] = []
        self.contexts: list[BrowserContext] = []

    def open(self, url: str | None = None, *, phone: bool = False) -> Page:
        context = self.browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
            ),
        )
        if url is not None:
            page.goto(url)
        return page

    def screenshot(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        """A PNG of what the page shows now: all of it, or what is in view."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    def screenshot_of(self, page: Page, selector: str, name: str) -> Path:
        """A PNG of one part of the page."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        page.locator(selector).first.screenshot(path=str(path), animations="disabled")
        return path

    def close(self) -> list[str]:
        for context in self.contexts:
            context.close()
        self.contexts.clear()
        return self.errors


def screenshot_dir(default: Path) -> Path:
    chosen = os.environ.get("SHOPFLOOR_SCREENSHOTS")
    return Path(chosen) if chosen else default


def overflow(page: Page) -> int:
    """How far the page is wider than the screen (0 when nothing sticks out sideways).

    Measured against the screen's width, not `innerWidth`: a phone widens its layout to fit what
    sticks out (and zooms out), which hides the overflow from the page itself.
    """
    size = page.viewport_size
    assert size is not None
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return max(0, width - size["width"])


def seconds(text: str) -> float:
    """A duration as the page writes it (`1h 02m`, `3m 07s`, `12s`, `0.4s`, `<0.1s`) in seconds."""
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)([hms])", text):
        total += float(number) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total
