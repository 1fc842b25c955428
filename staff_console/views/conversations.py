"""Conversation list, escalations queue, transcript, review actions and exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from staff_console import annotation, export, metrics, queries, retention, review, transcript
from staff_console.db import writing
from staff_console.filters import FILTER_KEYS, Filters, parse_filters
from staff_console.views.common import actor, clean_filter_url, engine, safe_path, settings, state

bp = Blueprint("conversations", __name__)


@bp.before_request
def _refresh() -> None:
    state().maybe_refresh()


def _filters(**defaults: str) -> Filters:
    """The filter from the query string: only the known keys, each validated."""
    args = dict(defaults)
    args.update({k: v for k, v in request.args.items() if v != "" and k in FILTER_KEYS})
    return parse_filters(args, settings().low_confidence)


def _choices() -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        with engine().connect() as conn:
            return {"channels": queries.channels(conn), "intents": queries.intents(conn),
                    "tags": queries.all_tags(conn)}
    return state().cached("choices", 30.0, compute)


def _list(template_title: str, f: Filters, endpoint: str) -> Any:
    cleaned = clean_filter_url(endpoint)
    if cleaned is not None:
        return cleaned
    cfg = settings()
    for message in f.errors:
        flash(message)
    with engine().connect() as conn:
        page = queries.list_conversations(conn, f, page_size=cfg.page_size,
                                          low_confidence=cfg.low_confidence)
    return render_template("list.html", page=page, f=f, title=template_title,
                           endpoint=endpoint, choices=_choices(),
                           low_confidence=cfg.low_confidence, today=dt.date.today())


@bp.route("/")
def index() -> Any:
    return _list("Conversations", _filters(), "conversations.index")


@bp.route("/escalations")
def escalations() -> Any:
    """Emergency and urgent conversations, unreviewed first, emergencies first."""
    return _list("Escalations", _filters(triage="escalated", sort="queue"),
                 "conversations.escalations")


@bp.route("/api/conversations")
def api_list() -> Any:
    cfg = settings()
    f = _filters()
    with engine().connect() as conn:
        page = queries.list_conversations(conn, f, page_size=cfg.page_size,
                                          low_confidence=cfg.low_confidence)
    return jsonify({"total": page.total, "total_is_lower_bound": page.capped,
                    "page": page.page, "pages": page.pages,
                    "conversations": [r.as_dict() for r in page.rows],
                    "errors": list(f.errors)})


@bp.route("/c/<path:sender_id>")
def detail(sender_id: str) -> Any:
    cfg = settings()
    with engine().connect() as conn:
        conv = queries.get_conversation(conn, sender_id)
        if conv is None:
            abort(404)
        sessions = transcript.build(transcript.load_events(conn, sender_id), cfg.low_confidence)
        notes = queries.notes_for(conn, sender_id)
        marks = annotation.for_senders(conn, [sender_id])
        saved_test = annotation.saved_test(conn, sender_id)
    back = safe_path(request.args.get("back"), "")
    return render_template("conversation.html", conv=conv, sessions=sessions, notes=notes,
                           back=back, back_url=back or url_for(".index"),
                           all_tags=_choices()["tags"], marks=marks, saved_test=saved_test,
                           low_confidence=cfg.low_confidence)


@bp.route("/c/<path:sender_id>", methods=["POST"])
def act(sender_id: str) -> Any:
    """Review actions on one conversation: review, unreview, tag, untag, note, erase."""
    action = request.form.get("action", "")
    with engine().connect() as conn:
        exists = queries.get_conversation(conn, sender_id) is not None
    if not exists:
        abort(404)
    if action == "erase":
        if not current_user.is_admin:
            abort(403)
        if request.form.get("confirm") != sender_id:
            flash("Type the visitor id to confirm the erasure.")
            return redirect(url_for(".detail", sender_id=sender_id))
        deleted = retention.erase_visitor(engine(), sender_id, actor())
        flash(f"Erased visitor {sender_id}: {deleted.events} events deleted.")
        return redirect(url_for(".index"))
    try:
        with writing(engine()) as conn:
            if action == "review":
                review.set_reviewed(conn, sender_id, actor(), True)
                flash("Marked as reviewed.")
            elif action == "unreview":
                review.set_reviewed(conn, sender_id, actor(), False)
                flash("Marked as not reviewed.")
            elif action == "tag":
                tag = review.add_tag(conn, sender_id, request.form.get("tag", ""), actor())
                flash(f"Tagged {tag}.")
            elif action == "untag":
                review.remove_tag(conn, sender_id, request.form.get("tag", ""), actor())
                flash("Tag removed.")
            elif action == "note":
                review.add_note(conn, sender_id, request.form.get("body", ""), actor())
                flash("Note added.")
            else:
                abort(400)
    except review.ReviewError as e:
        flash(str(e))
    state().cache.pop("choices", None)
    back = safe_path(request.form.get("back"), "")
    return redirect(url_for(".detail", sender_id=sender_id, back=back or None))


def _export(kind: str) -> Response:
    """POSTed with the CSRF token (a cross-site page cannot start a download);
    the filters come in the query string, as on the list."""
    cfg = settings()
    f = _filters()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    with writing(engine()) as conn:
        from staff_console import audit

        audit.record(conn, actor(), "export", None, format=kind, filters=f.args(page=1))
    metrics.of().export(kind)
    if kind == "csv":
        body = export.csv_stream(engine(), f, cfg.low_confidence)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = export.json_stream(engine(), f, cfg.low_confidence)
        mimetype = "application/json"
    # The generator needs no request context: it holds the engine and the parsed filter.
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="conversations-{stamp}.{kind}"')
    return resp


@bp.route("/export.csv", methods=["POST"])
def export_csv() -> Response:
    return _export("csv")


@bp.route("/export.json", methods=["POST"])
def export_json() -> Response:
    return _export("json")
