"""Keyboard-only use, and visitor text that looks like HTML."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.widget import Widget

XSS = "<img src=x onerror=alert(1)>"


def test_one_whole_exchange_with_the_keyboard_alone(widget: Widget) -> None:
    page = widget.page
    # Tab from the top of the page until the launcher has focus.
    for _ in range(25):
        page.keyboard.press("Tab")
        if widget.launcher.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.input).to_be_focused()
    widget.wait_online()

    before = widget.message_count()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    widget.wait_for_turn(before + 1)
    expect(widget.input).to_be_focused()

    # Shift+Tab from the input reaches the last quick reply; Enter sends it.
    expect(widget.quick_replies.first).to_be_visible()
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "scw-qr" in focused, f"Shift+Tab from the input focused {focused!r}"
    title = page.evaluate("() => document.activeElement.textContent")
    before = widget.message_count()
    page.keyboard.press("Enter")
    expect(widget.log.locator(".scw-msg--user .scw-bubble").last).to_have_text(title)
    assert widget.wait_for_turn(before + 1)
    # The pressed button is gone: focus must not be lost to <body>.
    expect(widget.input).to_be_focused()

    # Escape closes the panel and focus goes back to the launcher.
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    # ...and Enter on the launcher opens it again with the conversation intact.
    page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    expect(widget.log.locator(".scw-msg--user .scw-bubble").last).to_have_text(title)


def test_html_in_a_message_is_shown_as_text(widget: Widget) -> None:
    widget.open()
    widget.wait_online()
    answer = widget.say(XSS)
    assert answer, "the assistant did not answer"
    bubble = widget.log.locator(".scw-msg--user .scw-bubble").last
    expect(bubble).to_have_text(XSS)
    assert widget.page.locator("img").count() == 0
    assert widget.page.locator("[onerror]").count() == 0
    widget.page.wait_for_timeout(500)
    assert widget.dialogs == [], f"a dialog fired: {widget.dialogs}"
    # The same text typed again after a reload is still text.
    widget.page.reload()
    expect(widget.log.locator(".scw-msg--user .scw-bubble").last).to_have_text(XSS)
    assert widget.page.locator("img").count() == 0
    assert widget.dialogs == []
