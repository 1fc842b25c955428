"""Page object for the chat widget in a Playwright page."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

REPLY_TIMEOUT_S = 45.0
QUIET_S = 1.0
# Rasa log lines that explain a missing reply (see docs/widget.md, server-side requirements).
KNOWN_SERVER_PROBLEMS = ("was never awaited", "unexpected keyword argument", "Traceback")


def server_problems(log: Path | None) -> list[str]:
    if log is None or not log.exists():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [ln.strip()[:300] for ln in lines if any(p in ln for p in KNOWN_SERVER_PROBLEMS)][:5]


@dataclass
class Widget:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    server_log: Path | None = None

    # ---------------------------------------------------------- locators
    @property
    def launcher(self) -> Locator:
        return self.page.locator(".scw-launcher")

    @property
    def panel(self) -> Locator:
        return self.page.locator("#scw-panel")

    @property
    def log(self) -> Locator:
        return self.page.locator('.scw-log[role="log"]')

    @property
    def input(self) -> Locator:
        return self.page.get_by_label("Your message")

    @property
    def quick_replies(self) -> Locator:
        return self.page.locator(".scw-quick .scw-qr")

    @property
    def alerts(self) -> Locator:
        return self.log.locator('[role="alert"]')

    # ---------------------------------------------------------- reading
    def message_texts(self) -> list[str]:
        """Text of every message in the log, in order (bubble or alert only)."""
        return self.log.locator(".scw-msg").evaluate_all(
            "els => els.map(e => (e.querySelector('.scw-bubble, .scw-alert')"
            " || e).innerText.trim())"
        )

    def message_count(self) -> int:
        return self.log.locator(".scw-msg").count()

    def bot_texts_since(self, index: int) -> list[str]:
        return self.log.locator(".scw-msg").evaluate_all(
            "(els, i) => els.slice(i).filter(e => e.classList.contains('scw-msg--bot'))"
            ".map(e => (e.querySelector('.scw-bubble, .scw-alert') || e).innerText.trim())",
            index,
        )

    def stored_state(self) -> dict:
        raw = self.page.evaluate(
            "() => { const k = Object.keys(sessionStorage)"
            ".find(k => k.startsWith('sciaticalm-widget:')); return k ? sessionStorage[k] : null }"
        )
        assert raw, "the widget stored nothing in sessionStorage"
        return json.loads(raw)

    # ---------------------------------------------------------- acting
    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def wait_online(self) -> None:
        self.page.wait_for_function(
            "() => { const k = Object.keys(sessionStorage)"
            ".find(k => k.startsWith('sciaticalm-widget:'));"
            " return k && JSON.parse(sessionStorage[k]).sessionId }",
            timeout=30_000,
        )
        expect(self.page.locator(".scw-status")).to_be_hidden(timeout=30_000)

    def wait_for_turn(self, before: int, min_bot: int = 1) -> list[str]:
        """Waits until the bot has answered (and gone quiet); returns its texts."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            bot = self.bot_texts_since(before)
            count = self.message_count()
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif len(bot) >= min_bot and time.monotonic() - last_change >= QUIET_S:
                return bot
            self.page.wait_for_timeout(150)
        raise AssertionError(
            f"no bot reply within {REPLY_TIMEOUT_S}s; widget: {self.message_texts()[before - 1:]}"
            f"; Rasa log: {server_problems(self.server_log)}"
        )

    def say(self, text: str) -> list[str]:
        """Types text, sends it with Enter, returns the bot's answer."""
        before = self.message_count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.log.locator(".scw-msg--user .scw-bubble").last).to_have_text(text)
        return self.wait_for_turn(before + 1)

    def click_quick_reply(self, title: str | None = None) -> tuple[str, list[str]]:
        """Clicks a quick reply (the given one, or the first); returns (title, answer)."""
        button = self.quick_replies.filter(has_text=title).first if title else (
            self.quick_replies.first)
        expect(button).to_be_visible()
        label = button.inner_text().strip()
        before = self.message_count()
        button.click()
        expect(self.log.locator(".scw-msg--user .scw-bubble").last).to_have_text(label)
        return label, self.wait_for_turn(before + 1)
