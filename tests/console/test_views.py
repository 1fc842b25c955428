"""Pages as a staff member sees them (Flask test client, both databases)."""

from __future__ import annotations

import datetime as dt
import re

from staff_console import charts
from staff_console.overview import overview
from tests.console.conftest import REVIEWER, sign_in


def rows_in(html: str) -> list[str]:
    return re.findall(r'class="open" href="[^"]*">([^<]+)</a>', html)


def test_list_page_shows_the_columns(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    html = c.get("/").get_data(as_text=True)
    assert f"{len(seeded.expected)} found" in html
    row = html[html.index(">gen-emergency<"):]
    row = row[:row.index("</tr>")]
    assert "rest" in row and "triage-emergency" in row and "to review" in row
    assert "I went numb between my legs" not in row  # the preview is the first message
    assert "<td>2</td>" in row  # visitor turns
    assert rows_in(html)[-1] == "gen-old"


def test_filter_form_reaches_the_query(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    html = c.get("/?triage=urgent&channel=socketio").get_data(as_text=True)
    assert rows_in(html) == ["gen-urgent"]
    assert '<option selected>socketio</option>' in html
    html = c.get("/?failures=any").get_data(as_text=True)
    assert set(rows_in(html)) == {"gen-fallback", "gen-lowconf"}
    html = c.get("/?triage=purple").get_data(as_text=True)
    assert "Unknown triage level: ignored." in html


def test_todays_escalations_are_at_the_top_of_the_queue(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    html = c.get("/escalations").get_data(as_text=True)
    assert rows_in(html) == ["gen-emergency", "gen-urgent"]
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert f"date_from={today}" in html  # the "Today" link


def test_transcript_page(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    html = c.get("/c/gen-two-sessions?back=/%3Ftriage%3Dnone").get_data(as_text=True)
    assert "Session 1" in html and "Session 2" in html
    assert html.index("my lower back aches") < html.index("Session 2") < html.index(
        "hello again")
    assert 'href="/?triage=none"' in html
    html = c.get("/c/gen-emergency").get_data(as_text=True)
    assert 'class="turn user triage"' in html and "red_flag=saddle_numbness" in html
    assert 'class="meta slot triage"' in html and "intent <b>red_flag</b> (1.00)" in html
    html = c.get("/c/gen-html?back=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in html
    assert c.get("/c/nobody").status_code == 404


def test_overview_figures_and_charts(seeded):
    today = dt.datetime.now(dt.timezone.utc).date()
    with seeded.engine.connect() as conn:
        ov = overview(conn, today - dt.timedelta(days=9), today, 0.5)
    assert len(ov.days) == 10 and ov.days[-1].day == today
    assert ov.days[-1].escalations == 2
    assert ov.conversations == len(seeded.expected) - 1  # all but the 400-day-old one
    assert ov.escalations == 2
    assert ov.fallback_turns == 1 and 0 < ov.fallback_rate < 1
    assert ov.low_confidence_conversations == 2
    top = dict(ov.top_intents)
    assert top["ask_training_load"] == 6 and top["red_flag"] == 2 and "ask_running_form" not in top
    c = seeded.client()
    sign_in(c, REVIEWER)
    html = c.get("/overview").get_data(as_text=True)
    assert html.count("<svg") == 2 and "ask_training_load" in html


def test_chart_labels_are_escaped():
    svg = str(charts.hbar_chart([("<script>x</script>", 3.0)], title="<t>"))
    assert "<script>x" not in svg and "&lt;script&gt;x" in svg
    svg = str(charts.bar_chart([("a&b", [1, 2])], ["<d1>", "d2"], title="t"))
    assert "<d1>" not in svg and "a&amp;b" in svg
