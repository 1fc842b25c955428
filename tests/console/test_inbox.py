"""The Inbox on SQLite and PostgreSQL: listing, annotating, saving as test, exports,
roles, audit, privacy, escaping, erasure, the CLI."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html import unescape

import sqlalchemy as sa
import yaml

from staff_console import cli, inbox_queries, retention
from staff_console import tables as t
from staff_console.filters import Filters
from tests.console.conftest import ADMIN, REVIEWER, csrf_token, sign_in
from tests.console.inbox_log import (
    EMAIL_TEXT,
    NUMB_FOOT,
    PRIVATE,
    PRIVATE_TEXT,
    REVIEW,
    SAFETY,
    SAFETY_TEXT,
    SHOES,
)
from tests.console.rasa_log import HTML_TEXT
from tests.console.test_browser import REPO


def event_id(env, sender: str, text: str) -> int:
    e = t.events.c
    with env.engine.connect() as conn:
        for row in conn.execute(sa.select(e.id, e.data).where(
                e.sender_id == sender, e.type_name == "user").order_by(e.id)):
            if json.loads(row.data).get("text") == text:
                return int(row.id)
    raise AssertionError(f"no message {text!r}")


def audit(env) -> list[tuple]:
    a = t.audit_log.c
    with env.engine.connect() as conn:
        return [(r.actor, r.action, r.target, json.loads(r.detail) if r.detail else None)
                for r in conn.execute(sa.select(t.audit_log).order_by(a.id))]


def annotate(client, env, sender: str, message: str, **form: str):
    eid = event_id(env, sender, message)
    data = {"csrf_token": csrf_token(client, "/inbox"), "sender_id": sender, "text": message,
            "intent": "", "triage": "", "entities": "", "action": "save", "back": "/inbox"}
    data.update(form)
    return client.post(f"/inbox/m/{eid}", data=data, follow_redirects=True)


def test_inbox_lists_messages_needing_a_look(inbox_env):
    client = inbox_env.client()
    sign_in(client, REVIEWER)
    html = unescape(client.get("/inbox").get_data(as_text=True))
    for text in (SHOES, SAFETY_TEXT, "blorp flarn my quads", "are my shoes too old maybe"):
        assert text in html
    assert "I asked about my shoes" in html and "👎" in html
    assert "/feedback{" not in html  # a rating is never a visitor message
    # Safety question conversation newest first among its messages; every reason shown.
    for label in ("👎 feedback", "two-stage fallback", "low confidence", "out of scope",
                  "escalation", "safety question asked"):
        assert label in html, label
    assert "left out of exports until you edit" in html  # the private messages
    # Missed signs are often unflagged: the conversation's other messages are there too.
    assert NUMB_FOOT in html
    with inbox_env.engine.connect() as conn:
        page = inbox_queries.list_inbox(conn, Filters(), page_size=50)
        assert inbox_queries.count_inbox(conn, 0.5) == (page.total, page.total)
        # With no low-confidence threshold, the 👎 alone brings the conversation in.
        only_down = inbox_queries.list_inbox(conn, Filters(confidence_below=0.0))
    assert REVIEW in [ic.conversation.sender_id for ic in only_down.conversations]
    assert [e.message.reasons for ic in only_down.conversations for e in ic.entries
            if ic.conversation.sender_id == REVIEW] == [["thumbs_down"]]
    senders = [ic.conversation.sender_id for ic in page.conversations]
    assert senders[:3] == [SAFETY, PRIVATE, REVIEW]  # newest first
    assert {"gen-emergency", "gen-urgent", "gen-fallback", "gen-lowconf", "gen-sql"} <= set(
        senders) and "gen-assessed" not in senders
    private = next(ic for ic in page.conversations if ic.conversation.sender_id == PRIVATE)
    assert {e.message.text: e.privacy for e in private.entries} == {
        PRIVATE_TEXT: ["phone", "name"], EMAIL_TEXT: ["email"]}
    # Filters as on the list; the overview counts the Inbox.
    html = unescape(client.get("/inbox?channel=socketio").get_data(as_text=True))
    assert SHOES in html and SAFETY_TEXT not in html
    assert "conversations in the Inbox" in client.get("/overview").get_data(as_text=True)


def test_annotate_save_as_test_and_export(inbox_env, tmp_path):
    env = inbox_env
    reviewer = env.client()
    sign_in(reviewer, REVIEWER)
    html = annotate(reviewer, env, REVIEW, SHOES, intent="ask_footwear").get_data(as_text=True)
    assert "Annotation saved." in html and "corrected" in html
    html = annotate(reviewer, env, REVIEW, NUMB_FOOT, triage="urgent").get_data(as_text=True)
    assert "missed urgent sign" in html
    annotate(reviewer, env, REVIEW, "hello there", intent="greet")  # confirmed
    resp = reviewer.post(f"/inbox/test/{REVIEW}", data={
        "csrf_token": csrf_token(reviewer, "/inbox"), "action": "save"}, follow_redirects=True)
    assert "Saved as a test conversation." in resp.get_data(as_text=True)
    # Shown on the transcript.
    html = reviewer.get(f"/c/{REVIEW}").get_data(as_text=True)
    assert "intent <b>ask_footwear</b> corrected" in html and "saved as test" in html
    assert "visitor feedback 👎 down" in html

    # Reviewers annotate; only admins export.
    assert reviewer.post("/inbox/export.zip", data={
        "csrf_token": csrf_token(reviewer, "/inbox")}).status_code == 403
    assert "Download training export" not in reviewer.get("/inbox").get_data(as_text=True)
    admin = env.client()
    sign_in(admin, ADMIN)
    resp = admin.post("/inbox/export.zip", data={"csrf_token": csrf_token(admin, "/inbox")})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    assert sorted(zf.namelist()) == ["export-report.txt", "nlu.yml", "test_stories.yml",
                                     "triage_cases.yml"]
    nlu = yaml.safe_load(zf.read("nlu.yml"))["nlu"]
    assert {b["intent"]: b["examples"] for b in nlu} == {
        "ask_footwear": f"- {SHOES}\n", "greet": "- hello there\n"}
    cases = yaml.safe_load(zf.read("triage_cases.yml"))["cases"]
    assert cases == [{"text": NUMB_FOOT, "tier": "urgent", "signs": [], "e2e": False}]
    stories = yaml.safe_load(zf.read("test_stories.yml"))["stories"]
    assert [s["steps"][0] for s in stories] == [{"user": "hello there", "intent": "greet"}]

    # `make import-reviewed DIR=the.zip` merges the download into a copy of the repository.
    repo = tmp_path / "repo"
    (repo / "data" / "nlu").mkdir(parents=True)
    (repo / "tests").mkdir()
    shutil.copy(REPO / "data" / "nlu" / "help.yml", repo / "data" / "nlu" / "help.yml")
    shutil.copy(REPO / "tests" / "test_stories.yml", repo / "tests" / "test_stories.yml")
    (tmp_path / "reviewed.zip").write_bytes(resp.data)
    merged = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "import_reviewed.py"),
         str(tmp_path / "reviewed.zip"), "--repo", str(repo)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert merged.returncode == 0, merged.stderr
    assert "added 2 NLU examples, 1 triage cases, 1 test stories" in merged.stdout
    assert f"+ nlu: ask_footwear: {SHOES}" in merged.stdout
    assert (repo / "tests" / "triage_cases_reviewed.yml").exists()
    again = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "import_reviewed.py"),
         str(tmp_path / "reviewed.zip"), "--repo", str(repo)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert "added 0 NLU examples, 0 triage cases, 0 test stories" in again.stdout

    mine = [(a[0], a[1], a[2]) for a in audit(env) if a[1] in (
        "annotate", "save_test", "export_training")]
    assert mine == [(REVIEWER[0], "annotate", REVIEW)] * 3 + [
        (REVIEWER[0], "save_test", REVIEW), (ADMIN[0], "export_training", None)]
    details = [a[3] for a in audit(env) if a[1] == "annotate"]
    assert details[0]["verdict"] == "corrected" and details[2]["verdict"] == "confirmed"
    assert details[1]["triage"] == "urgent"
    assert all(SHOES not in json.dumps(d) for d in details)  # no visitor text in the audit
    with env.engine.connect() as conn:
        rows = conn.execute(sa.select(t.annotations).order_by(t.annotations.c.id)).all()
    assert [(r.intent, r.triage, r.created_by) for r in rows] == [
        ("ask_footwear", "", REVIEWER[0]), (None, "urgent", REVIEWER[0]),
        ("greet", "", REVIEWER[0])]


def test_bad_annotations_are_refused_clearly(inbox_env):
    env = inbox_env
    client = env.client()
    sign_in(client, REVIEWER)
    cases = [
        ({"intent": "red_flag"}, "is not offered for training"),
        ({"intent": "no_such_intent"}, "is not offered for training"),
        ({"triage": "maybe"}, "Unknown warning-sign verdict"),
        ({"text": "   "}, "The example text is empty"),
        ({"entities": "item=kettlebell"}, "is not in the text"),
        ({"entities": "nonsense=old"}, "Unknown entity"),
        ({"entities": "no equals sign"}, "one entity=value a line"),
    ]
    for form, message in cases:
        html = annotate(client, env, REVIEW, SHOES, **form).get_data(as_text=True)
        assert message in html, (form, message)
    # Another conversation's message, a feedback message, an unknown id.
    eid = event_id(env, REVIEW, SHOES)
    token = csrf_token(client, "/inbox")
    for sender, target in ((PRIVATE, eid), (REVIEW, 999_999)):
        html = client.post(f"/inbox/m/{target}", data={
            "csrf_token": token, "sender_id": sender, "text": "x", "action": "save"},
            follow_redirects=True).get_data(as_text=True)
        assert "No such visitor message" in html
    e = t.events.c
    with env.engine.connect() as conn:
        fb_id = conn.execute(sa.select(e.id).where(e.sender_id == REVIEW,
                                                   e.intent_name == "feedback")).scalars().first()
        assert conn.execute(sa.select(sa.func.count()).select_from(t.annotations)
                            ).scalar_one() == 0
    html = client.post(f"/inbox/m/{fb_id}", data={
        "csrf_token": token, "sender_id": REVIEW, "text": "x", "action": "save"},
        follow_redirects=True).get_data(as_text=True)
    assert "No such visitor message" in html
    # No CSRF token: 400; signed out: no access.
    assert client.post(f"/inbox/m/{eid}", data={"sender_id": REVIEW, "text": "x"}
                       ).status_code == 400
    anon = env.client()
    assert anon.get("/inbox").status_code == 302
    assert anon.post("/inbox/export.zip").status_code in (400, 401)


def test_private_texts_are_left_out_until_edited_and_the_log_is_unchanged(inbox_env, tmp_path):
    env = inbox_env
    client = env.client()
    sign_in(client, REVIEWER)
    annotate(client, env, PRIVATE, PRIVATE_TEXT, intent="out_of_scope")
    annotate(client, env, PRIVATE, EMAIL_TEXT, intent="out_of_scope")
    e = t.events.c
    with env.engine.connect() as conn:
        before = conn.execute(sa.select(e.id, e.data).where(e.sender_id == PRIVATE)).all()
    out = tmp_path / "export"
    env_vars = {"CONSOLE_DATABASE_URL": env.url, "CONSOLE_SECRET_KEY": "x"}
    assert run_cli(["export-training", "--out", str(out)], env_vars) == 0
    assert yaml.safe_load((out / "nlu.yml").read_text())["nlu"] == []
    report = (out / "export-report.txt").read_text()
    assert "personal details (phone, name)" in report and "personal details (email)" in report

    html = annotate(client, env, PRIVATE, PRIVATE_TEXT, intent="out_of_scope",
                    text="my name is Sam, can you book me a taxi").get_data(as_text=True)
    assert "text edited" in html and "still seems to contain some" in html
    assert run_cli(["export-training", "--out", str(out)], env_vars) == 0
    nlu = yaml.safe_load((out / "nlu.yml").read_text())["nlu"]
    assert nlu == [{"intent": "out_of_scope",
                    "examples": "- my name is Sam, can you book me a taxi\n"}]
    with env.engine.connect() as conn:
        assert conn.execute(sa.select(e.id, e.data).where(e.sender_id == PRIVATE)
                            ).all() == before
    assert [a[0] for a in audit(env) if a[1] == "export_training"] == ["cli", "cli"]


def run_cli(argv: list[str], env_vars: dict[str, str]) -> int:
    import os

    old = {k: os.environ.get(k) for k in env_vars}
    os.environ.update(env_vars)
    try:
        return cli.main(argv)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_visitor_html_is_escaped_in_the_inbox_and_erasure_removes_annotations(inbox_env):
    env = inbox_env
    client = env.client()
    sign_in(client, ADMIN)
    annotate(client, env, "gen-html", HTML_TEXT, intent="describe_pain",
             text=HTML_TEXT + " <img src=x onerror=alert(1)>")
    # gen-html has no reason to be in the Inbox; its transcript shows the annotation.
    html = client.get("/c/gen-html").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    annotate(client, env, "gen-sql", "'; DROP TABLE events; -- 100% sure_thing",
             intent="out_of_scope")
    html = client.get("/inbox").get_data(as_text=True)
    assert "&#39;; DROP TABLE events" in html
    assert not re.search(r"<script>alert", html)
    client.post(f"/inbox/test/{REVIEW}", data={"csrf_token": csrf_token(client, "/inbox")})
    annotate(client, env, REVIEW, SHOES, intent="ask_footwear")
    retention.erase_visitor(env.engine, REVIEW, "admin1")
    with env.engine.connect() as conn:
        left = conn.execute(sa.select(t.annotations.c.sender_id)).scalars().all()
        saved = conn.execute(sa.select(t.saved_tests.c.sender_id)).scalars().all()
    assert REVIEW not in left and "gen-html" in left and saved == []


def test_a_missing_domain_file_is_said_not_a_500(databases, tmp_path):
    from tests.console.conftest import build_inbox_env

    env = build_inbox_env(databases, "sqlite", domain_file=str(tmp_path / "nope.yml"))
    try:
        client = env.client()
        sign_in(client, REVIEWER)
        resp = client.get("/inbox")
        assert resp.status_code == 200 and "cannot read the domain" in resp.get_data(as_text=True)
        html = annotate(client, env, REVIEW, SHOES, intent="ask_footwear").get_data(as_text=True)
        assert "is not offered for training" in html
    finally:
        env.engine.dispose()
