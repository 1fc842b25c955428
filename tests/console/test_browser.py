"""Headless Debian chromium (Playwright) against `python -m staff_console serve`:
sign in, filter to escalated conversations, open one, tag it, mark it reviewed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from staff_console import tables as t
from tests.console.conftest import REVIEWER, Env, build_env, serve_console

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts" / "console"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request, databases, tmp_path) -> Iterator[tuple[Env, str]]:
    yield from serve_console(build_env, request, databases, tmp_path)


def test_sign_in_filter_open_review(served):
    from playwright.sync_api import expect, sync_playwright

    env, url = served
    assert requests.get(f"{url}/", allow_redirects=False, timeout=5).status_code == 302
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}/")
            expect(page).to_have_url(f"{url}/login?next=/")
            page.get_by_label("Username").fill(REVIEWER[0])
            page.get_by_label("Password").fill(REVIEWER[1])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Conversations")).to_be_visible()

            page.locator("select[name=triage]").select_option("escalated")
            page.get_by_role("button", name="Filter").click()
            expect(page).to_have_url(f"{url}/?triage=escalated")
            links = page.locator("a.open")
            expect(links).to_have_count(2)
            expect(links).to_have_text(["gen-urgent", "gen-emergency"])  # newest first
            page.screenshot(path=str(ARTIFACTS / f"list-{env.backend}.png"), full_page=True)

            page.get_by_role("link", name="gen-emergency").click()
            expect(page.get_by_role("heading", name="Conversation gen-emergency")).to_be_visible()
            expect(page.locator("li.turn.user.triage")).to_contain_text("numb between my legs")
            page.get_by_placeholder("new tag").fill("called back")
            page.get_by_role("button", name="Add tag").click()
            expect(page.locator(".flash")).to_contain_text("Tagged called back")
            page.get_by_role("button", name="Mark as reviewed").click()
            expect(page.locator(".flash")).to_contain_text("Marked as reviewed")
            expect(page.locator("h1 .badge.ok")).to_have_text("reviewed")
            page.screenshot(path=str(ARTIFACTS / f"transcript-{env.backend}.png"),
                            full_page=True)

            page.get_by_role("link", name="← back to the list").click()
            expect(page).to_have_url(f"{url}/?triage=escalated")
            row = page.locator("tr", has=page.locator("a.open", has_text="gen-emergency"))
            expect(row.locator(".badge.ok")).to_have_text("reviewed")
            expect(row.locator(".tag")).to_have_text("called back")
        finally:
            browser.close()
    with env.engine.connect() as conn:
        review = conn.execute(sa.select(t.reviews).where(
            t.reviews.c.sender_id == "gen-emergency")).one()
    assert review.reviewed and review.reviewed_by == REVIEWER[0]
