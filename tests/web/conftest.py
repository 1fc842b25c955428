"""Fixtures for the widget's browser tests: the real Rasa + action servers,
the built demo site pointed at them, and headless Debian chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from testkit.servers import rasa_stack
from tests.web.site import copy_site, point_pages_at, serve_directory
from tests.web.widget import Widget

CHROMIUM = Path(os.environ.get("SCIATICALM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
    "is_mobile": True, "has_touch": True,
}


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    with serve_directory(site_dir) as url:
        yield url


@pytest.fixture(scope="session")
def stack(site_dir: Path, site_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real action server and Rasa server (socket.io channel), CORS for the site."""
    with rasa_stack(tmp_path_factory.mktemp("stack"), cors=(site_url,)) as running:
        point_pages_at(site_dir, running.rasa_url)
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _new_widget_page(
    browser: Browser, stack: Any, options: dict[str, Any]
) -> tuple[Page, Widget]:
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    widget = Widget(page, server_log=stack.workdir / "rasa.log")

    def on_dialog(dialog: Any) -> None:
        widget.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: widget.errors.append(str(exc)))
    return page, widget


def _widget_on_demo_page(browser: Browser, stack: Any, site_url: str,
                         options: dict[str, Any]) -> Iterator[Widget]:
    """A fresh browser context on the demo page (empty sessionStorage); after the test, no
    JavaScript error may have been raised on it."""
    page, w = _new_widget_page(browser, stack, options)
    page.goto(f"{site_url}/")
    yield w
    page.context.close()
    assert not w.errors, f"JavaScript errors on the page: {w.errors}"


@pytest.fixture
def widget(browser: Browser, stack: Any, site_url: str) -> Iterator[Widget]:
    """The widget on a desktop-sized page."""
    yield from _widget_on_demo_page(browser, stack, site_url, DESKTOP)


@pytest.fixture
def phone_widget(browser: Browser, stack: Any, site_url: str) -> Iterator[Widget]:
    """The widget on a phone-sized page."""
    yield from _widget_on_demo_page(browser, stack, site_url, PHONE)

