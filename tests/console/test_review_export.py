"""Review, tags, notes and exports through the web app (each on its own database)."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from staff_console import export
from staff_console import tables as t
from tests.console.conftest import ADMIN, REVIEWER, csrf_token, sign_in


def post_action(client, sender, **form):
    token = csrf_token(client, f"/c/{sender}")
    return client.post(f"/c/{sender}", data={"csrf_token": token, **form})


def export_post(client, path):
    """Exports are POSTed with the CSRF token; the filters are in the query string."""
    token = csrf_token(client, "/")
    return client.post(path, data={"csrf_token": token})


def audit_actions(env):
    with env.engine.connect() as conn:
        return [(r.actor, r.action, r.target) for r in conn.execute(
            sa.select(t.audit_log).order_by(t.audit_log.c.id))]


def test_review_tag_note_and_the_escalations_queue(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    queue = c.get("/escalations").get_data(as_text=True)
    # Emergency first, then urgent; both unreviewed.
    assert queue.index("gen-emergency") < queue.index("gen-urgent")
    assert "gen-fallback" not in queue

    resp = post_action(c, "gen-emergency", action="review")
    assert resp.status_code == 302
    resp = post_action(c, "gen-emergency", action="tag", tag="  Called Back ")
    assert resp.status_code == 302
    post_action(c, "gen-emergency", action="tag", tag="called back")  # no duplicate
    post_action(c, "gen-emergency", action="note", body="Phoned the <visitor>; OK now.")

    page = c.get("/c/gen-emergency").get_data(as_text=True)
    assert "reviewed" in page and "by rev1" in page
    assert page.count('<span class="tag">called back</span>') == 1
    assert "Phoned the &lt;visitor&gt;; OK now." in page

    # Reviewed conversations drop below the unreviewed ones in the queue.
    queue = c.get("/escalations").get_data(as_text=True)
    assert queue.index("gen-urgent") < queue.index("gen-emergency")

    listing = c.get("/api/conversations?review=reviewed").get_json()
    assert [r["sender_id"] for r in listing["conversations"]] == ["gen-emergency"]
    assert listing["conversations"][0]["tags"] == ["called back"]
    tagged = c.get("/api/conversations?tag=called+back").get_json()
    assert tagged["total"] == 1
    unreviewed = c.get("/api/conversations?review=unreviewed").get_json()
    assert unreviewed["total"] == len(fresh.expected) - 1

    post_action(c, "gen-emergency", action="untag", tag="called back")
    post_action(c, "gen-emergency", action="unreview")
    assert c.get("/api/conversations?tag=called+back").get_json()["total"] == 0
    assert c.get("/api/conversations?review=reviewed").get_json()["total"] == 0

    actions = [a for a in audit_actions(fresh) if a[1] not in ("login",)]
    assert actions == [
        ("rev1", "review", "gen-emergency"), ("rev1", "tag", "gen-emergency"),
        ("rev1", "note", "gen-emergency"), ("rev1", "untag", "gen-emergency"),
        ("rev1", "unreview", "gen-emergency")]


def test_invalid_tag_and_empty_note_are_refused(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    post_action(c, "gen-urgent", action="tag", tag="<b>x</b>")
    post_action(c, "gen-urgent", action="note", body="   ")
    with fresh.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.tags)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(t.notes)).scalar() == 0
    assert post_action(c, "no-such-visitor", action="review").status_code == 404


def test_export_csv_of_todays_escalations(fresh):
    c = fresh.client()
    sign_in(c, ADMIN)
    post_action(c, "gen-emergency", action="tag", tag="call back")
    resp = export_post(c, "/export.csv?triage=escalated")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert {r["sender_id"] for r in rows} == {"gen-emergency", "gen-urgent"}
    visitor = [r for r in rows if r["kind"] == "user" and r["sender_id"] == "gen-emergency"]
    assert visitor[1]["intent"] == "red_flag" and visitor[1]["triage_level"] == "emergency"
    assert "saddle_numbness" in visitor[1]["entities"]
    assert any(r["kind"] == "bot" and r["text"] == "Please call emergency services now."
               for r in rows)
    assert visitor[0]["tags"] == "call back" and visitor[0]["reviewed"] == "no"
    assert ("admin1", "export", None) in audit_actions(fresh)


def test_export_json_with_transcripts_and_filters(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    resp = export_post(c, "/export.json?intent=describe_pain")
    doc = json.loads(resp.get_data(as_text=True))
    assert doc["filters"] == {"intent": "describe_pain"}
    by_id = {conv["sender_id"]: conv for conv in doc["conversations"]}
    assert set(by_id) == {"gen-html", "gen-two-sessions"}
    two = by_id["gen-two-sessions"]
    assert [s["number"] for s in two["sessions"]] == [1, 2]
    texts = [i["text"] for s in two["sessions"] for i in s["transcript"] if i["kind"] == "user"]
    assert texts == ["my lower back aches after tempo runs", "hello again, the ache is back"]
    html = by_id["gen-html"]["sessions"][0]["transcript"][0]
    assert html["text"].startswith("<script>") and html["intent"] == "describe_pain"
    assert all(conv["channel"] == "rest" for conv in doc["conversations"])


def test_export_everything_matches_the_list(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    doc = export_post(c, "/export.json").get_json()
    assert len(doc["conversations"]) == len(fresh.expected)
    listed = c.get("/api/conversations").get_json()
    assert [x["sender_id"] for x in doc["conversations"]][:len(listed["conversations"])] == [
        x["sender_id"] for x in listed["conversations"]]


def test_csv_cells_that_look_like_formulas_are_neutralised():
    assert export.safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert export.safe_cell("+1") == "'+1" and export.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert export.safe_cell("fine") == "fine" and export.safe_cell(None) == ""
