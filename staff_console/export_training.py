"""Collect annotations from the database into the training files; write them to a
folder (CLI) or a zip (the Inbox download). Each export is audited.

Nothing here writes into the repository: `make import-reviewed` does that, on a
developer's machine (scripts/import_reviewed.py).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from staff_console import annotation, audit, transcript
from staff_console.db import writing
from staff_console.training_export import FILES, TrainingExport, build

REPORT_FILE = "export-report.txt"


def collect(conn: Connection, intents: list[str]) -> TrainingExport:
    saved = annotation.saved_senders(conn)
    events = transcript.load_many(conn, saved)
    return build(annotation.all_annotations(conn), intents,
                 [(s, events.get(s, [])) for s in saved])


def export(engine: Engine, intents: list[str], actor: str, via: str) -> TrainingExport:
    """Build the export and record it in the audit log (counts, never texts)."""
    with engine.connect() as conn:
        result = collect(conn, intents)
    r = result.report
    with writing(engine) as conn:
        audit.record(conn, actor, "export_training", None, via=via, nlu=r.nlu,
                     triage=r.triage, stories=r.stories, left_out=len(r.left_out))
    return result


def write_dir(result: TrainingExport, out: Path) -> list[Path]:
    """Write the files (and the report) into `out`, created if missing."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in [*result.files.items(), (REPORT_FILE, result.report.summary() + "\n")]:
        path = out / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written


def zip_bytes(result: TrainingExport) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in FILES:
            zf.writestr(name, result.files[name])
        zf.writestr(REPORT_FILE, result.report.summary() + "\n")
    return buf.getvalue()
