"""The Inbox: annotate visitor messages, save conversations as tests, export (admins)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from staff_console import (
    annotation,
    export_training,
    inbox,
    inbox_queries,
    intents,
    metrics,
    queries,
)
from staff_console.annotation import TRIAGE_LABELS, AnnotationError
from staff_console.db import writing
from staff_console.filters import FILTER_KEYS, Filters, parse_filters
from staff_console.privacy import findings
from staff_console.views.common import actor, clean_filter_url, engine, safe_path, settings, state

bp = Blueprint("inbox", __name__)
PRIVACY_LABELS = {"email": "an e-mail address", "nhs_number": "an NHS-number-like number",
                  "phone": "a phone number", "name": "a name"}


@bp.before_request
def _refresh() -> None:
    state().maybe_refresh()


def domain() -> tuple[list[str], list[str]]:
    """(intents offered to reviewers, entity names) from the domain file (cached).

    A missing or broken domain file offers nothing (every annotation with an intent
    or entity is then refused) and says so, rather than failing the page.
    """
    def compute() -> tuple[list[str], list[str]]:
        path = Path(settings().domain_file) if settings().domain_file else intents.DEFAULT_DOMAIN
        return intents.trainable(intents.domain_intents(path)), intents.domain_entities(path)
    try:
        return state().cached("domain", 60.0, compute)
    except intents.DomainError as e:
        flash(f"{e}: no intents to offer (set CONSOLE_DOMAIN_FILE).")
        return [], []


def _filters() -> Filters:
    args = {k: v for k, v in request.args.items() if v != "" and k in FILTER_KEYS}
    return parse_filters(args, settings().low_confidence)


@bp.route("/inbox")
def index() -> Any:
    cleaned = clean_filter_url("inbox.index")
    if cleaned is not None:
        return cleaned
    cfg = settings()
    f = _filters()
    for message in f.errors:
        flash(message)
    with engine().connect() as conn:
        page = inbox_queries.list_inbox(conn, f, page_size=cfg.page_size,
                                        low_confidence=cfg.low_confidence)
        choices = {"channels": queries.channels(conn), "intents": queries.intents(conn),
                   "tags": queries.all_tags(conn)}
    offered, entity_names = domain()
    return render_template(
        "inbox.html", page=page, f=f, title="Inbox", endpoint="inbox.index", choices=choices,
        offered=offered, entity_names=entity_names, triage_labels=TRIAGE_LABELS,
        privacy_labels=PRIVACY_LABELS, reasons=inbox.REASONS, findings=findings,
        low_confidence=cfg.low_confidence, today=dt.date.today())


def _back(default: str) -> str:
    return safe_path(request.form.get("back"), default)


@bp.route("/inbox/m/<int:event_id>", methods=["POST"])
def annotate(event_id: int) -> Any:
    """Save or clear the annotation of one visitor message."""
    sender_id = request.form.get("sender_id", "")[:255]
    back = _back(url_for(".index"))
    offered, entity_names = domain()
    try:
        with writing(engine()) as conn:
            if request.form.get("action") == "clear":
                annotation.clear(conn, sender_id, event_id, actor())
                flash("Annotation removed.")
            else:
                annotation.annotate(
                    conn, sender_id, event_id, actor(),
                    intent=request.form.get("intent", "")[:255],
                    entities=annotation.parse_entities(request.form.get("entities", "")[:4000]),
                    triage=request.form.get("triage", ""),
                    not_useful=request.form.get("not_useful") == "1",
                    text=request.form.get("text", "")[:annotation.MAX_TEXT + 100],
                    intents=offered, entity_names=entity_names)
                flash("Annotation saved.")
    except AnnotationError as e:
        flash(str(e))
    return redirect(f"{back}#m{event_id}")


@bp.route("/inbox/test/<path:sender_id>", methods=["POST"])
def save_test(sender_id: str) -> Any:
    """Mark (or unmark) a conversation "save as test"."""
    with engine().connect() as conn:
        if queries.get_conversation(conn, sender_id) is None:
            abort(404)
    saved = request.form.get("action") != "unsave"
    with writing(engine()) as conn:
        annotation.set_saved_test(conn, sender_id, actor(), saved)
    flash("Saved as a test conversation." if saved else "No longer saved as a test.")
    return redirect(_back(url_for("conversations.detail", sender_id=sender_id)))


@bp.route("/inbox/export.zip", methods=["POST"])
def export_zip() -> Response:
    """Admins only: nlu.yml, triage_cases.yml, test_stories.yml and a report, zipped."""
    if not current_user.is_admin:
        abort(403)
    offered, _ = domain()
    result = export_training.export(engine(), offered, actor(), via="inbox")
    metrics.of().export("training_zip")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    resp = Response(export_training.zip_bytes(result), mimetype="application/zip")
    resp.headers["Content-Disposition"] = f'attachment; filename="reviewed-{stamp}.zip"'
    return resp
