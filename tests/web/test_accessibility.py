"""axe-core scan of the open widget (desktop and phone) and the README screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.widget import Widget

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
BLOCKING = {"serious", "critical"}


def axe_violations(widget: Widget) -> list[dict[str, Any]]:
    """Runs axe-core (from npm, injected into the page) on the whole page."""
    assert AXE.exists(), f"{AXE} missing: run `make setup`"
    page = widget.page
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})) }"
    )
    return [v for v in result if v["impact"] in BLOCKING]


def have_a_conversation(widget: Widget, *, emergency: bool) -> None:
    widget.open()
    widget.wait_online()
    widget.say("hi")
    widget.say("What shoes should I wear?")
    if emergency:
        widget.say("both my legs are numb")
        expect(widget.alerts.last).to_be_visible()
    # Show the start of the last bot turn (for the screenshots).
    widget.log.evaluate(
        "log => { const turn = [...log.querySelectorAll('.scw-msg--user')].pop();"
        " const first = turn && turn.nextElementSibling; if (!first) return;"
        " log.scrollTop += first.getBoundingClientRect().top"
        " - log.getBoundingClientRect().top - 8 }"
    )


def test_open_widget_has_no_serious_axe_violations_on_desktop(widget: Widget) -> None:
    assert axe_violations(widget) == [], "violations with the widget closed"
    have_a_conversation(widget, emergency=True)
    violations = axe_violations(widget)
    assert violations == [], violations
    # Contrast is part of that scan: check it really looked at the alert.
    assert widget.alerts.count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widget.page.screenshot(path=str(SCREENSHOTS / "widget-desktop.png"))


def test_phone_panel_is_full_screen_and_accessible(phone_widget: Widget) -> None:
    widget = phone_widget
    have_a_conversation(widget, emergency=False)
    box = widget.panel.bounding_box()
    assert box is not None
    assert box["x"] == 0 and box["y"] == 0
    assert box["width"] == 390 and box["height"] == 844
    violations = axe_violations(widget)
    assert violations == [], violations
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widget.page.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))
    # The full-screen panel is modal: Tab and Shift+Tab stay inside it.
    expect(widget.panel).to_have_attribute("aria-modal", "true")
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        widget.page.keyboard.press(key)
        inside = widget.panel.evaluate("p => p.contains(document.activeElement)")
        assert inside, f"{key} moved focus out of the full-screen panel"
    # Closing the full-screen panel brings the launcher back, focused.
    widget.page.get_by_role("button", name="Close chat").click()
    expect(widget.launcher).to_be_visible()
    expect(widget.launcher).to_be_focused()


def test_reduced_motion_turns_animations_off(widget: Widget) -> None:
    widget.page.emulate_media(reduced_motion="reduce")
    widget.open()
    names = widget.page.evaluate(
        "() => [...document.querySelectorAll('.scw-panel, .scw-dot')]"
        ".map(e => getComputedStyle(e).animationName)"
    )
    assert names and set(names) == {"none"}, names
