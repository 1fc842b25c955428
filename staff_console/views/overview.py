"""Overview page: per-day conversations and escalations, fallback rate, top intents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, render_template, request

from staff_console import charts, inbox_queries
from staff_console.filters import MAX_DATE, MIN_DATE
from staff_console.overview import overview
from staff_console.summary import day_of
from staff_console.views.common import engine, settings, state

bp = Blueprint("overview", __name__)
MAX_DAYS = 366


@bp.before_request
def _refresh() -> None:
    state().maybe_refresh()


def _date(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw[:10])
    except ValueError:
        flash(f"{name} is not a date: ignored.")
        return default
    if not MIN_DATE <= day <= MAX_DATE:
        flash(f"{name} must be between {MIN_DATE} and {MAX_DATE}: ignored.")
        return default
    return day


@bp.route("/overview")
def index() -> Any:
    today = dt.datetime.now(dt.timezone.utc).date()
    end = _date("date_to", today)
    start = _date("date_from", max(MIN_DATE, end - dt.timedelta(days=29)))
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - dt.timedelta(days=MAX_DAYS - 1)
    cfg = settings()
    with engine().connect() as conn:
        ov = overview(conn, start, end, cfg.low_confidence)
        inbox_total, inbox_open = inbox_queries.count_inbox(
            conn, cfg.low_confidence, day_of(_ts(start)), day_of(_ts(end)))
    labels = [d.day.strftime("%m-%d") for d in ov.days]
    per_day = charts.bar_chart(
        [("conversations", [d.conversations for d in ov.days]),
         ("escalations", [d.escalations for d in ov.days])],
        labels, title="Conversations and escalations per day")
    intents = charts.hbar_chart([(n, float(c)) for n, c in ov.top_intents],
                                title="Most frequent intents (visitor turns)")
    return render_template("overview.html", ov=ov, start=start, end=end,
                           per_day=per_day, intents=intents, inbox_total=inbox_total,
                           inbox_open=inbox_open,
                           low_confidence=cfg.low_confidence)


def _ts(d: dt.date) -> float:
    return dt.datetime.combine(d, dt.time(), dt.timezone.utc).timestamp()
