"""Reviewed annotations as Rasa training and test files (pure logic, no database).

- `nlu.yml`: one example per confirmed or corrected message under its intent;
- `triage_cases.yml`: missed warning signs (their tier) and false escalations
  (tier `none`), in the format of tests/triage_cases.yml;
- `test_stories.yml`: conversations saved as tests, as Rasa test stories.

Texts are the visitor's as typed, with control characters (and characters YAML
cannot hold) stripped and line breaks made spaces; a text with personal details
(staff_console/privacy.py) is left out unless a reviewer edited it. Everything
left out is listed in the report, with why.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from staff_console import feedback as fb
from staff_console import privacy
from staff_console.annotation import Annotation
from staff_console.export import strip_controls
from staff_console.summary import parse_data, top_intent

NLU_FILE = "nlu.yml"
TRIAGE_FILE = "triage_cases.yml"
STORIES_FILE = "test_stories.yml"
FILES = (NLU_FILE, TRIAGE_FILE, STORIES_FILE)
#: Characters outside YAML's printable set (after the control characters).
NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: What Rasa's readers would take for entity markup (`[text](entity)`, `[text]{...}`,
#: `[text][...]`): a visitor's text that contains it cannot go in as text.
ENTITY_MARKUP = re.compile(r"\[[^\]]*\]\s*[({\[]")
#: Actions that are not the assistant's choices (Rasa adds or hides them).
SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start", "action_extract_slots",
                             "action_unlikely_intent"})
HEADER = "# Exported from the Sciaticalm staff console (reviewed annotations).\n"
#: Strings written without quotes: names (intents, actions, slots, tiers).
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class _Dumper(yaml.SafeDumper):
    """Quotes every string that is not a plain name: PyYAML writes YAML 1.1, and
    Rasa reads YAML 1.2, where an unquoted `1e3` is a number, not a text."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    plain = PLAIN.match(value) and value.lower() not in (
        "yes", "no", "on", "off", "true", "false", "null", "y", "n")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style=None if plain else '"')


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1_000_000)


def one_line(text: str) -> str:
    """The text as one example line: controls stripped, line breaks as spaces."""
    text = NOT_YAML.sub("", strip_controls(text))
    return " ".join(part.strip() for part in text.split("\n") if part.strip()).strip()


def dedupe_key(text: str) -> str:
    """Two examples are the same when they differ only in case and spacing."""
    return " ".join(text.casefold().split())


@dataclass
class Report:
    """What went into each file and what was left out, with why."""

    nlu: int = 0
    triage: int = 0
    stories: int = 0
    left_out: list[str] = field(default_factory=list)

    def skip(self, what: str, why: str) -> None:
        self.left_out.append(f"{what}: {why}")

    def summary(self) -> str:
        lines = [f"{NLU_FILE}: {self.nlu} examples", f"{TRIAGE_FILE}: {self.triage} cases",
                 f"{STORIES_FILE}: {self.stories} stories"]
        if self.left_out:
            lines.append(f"left out ({len(self.left_out)}):")
            lines += [f"  - {line}" for line in self.left_out]
        return "\n".join(lines)


def exportable_text(a: Annotation, report: Report, what: str) -> str | None:
    """The annotation's example text if it may be exported, else None (reported)."""
    text = one_line(a.text)
    if not text:
        report.skip(what, "empty text")
        return None
    if a.edited_text is None and privacy.is_personal(text):
        kinds = ", ".join(privacy.findings(text))
        report.skip(what, f"personal details ({kinds}): edit the text to export it")
        return None
    return text


def _label(a: Annotation) -> str:
    return f"message {a.event_id}"


def _markup(text: str, entities: list[dict[str, str]]) -> str | None:
    """`text` with each entity's value annotated `[value](entity)` (first free
    occurrence); None if a value cannot be annotated."""
    spans: list[tuple[int, int, str]] = []
    for e in entities:
        value = e["value"]
        if any(ch in value for ch in "[](){}"):
            return None
        start = text.find(value)
        while start >= 0 and any(s < start + len(value) and start < end for s, end, _ in spans):
            start = text.find(value, start + 1)
        if start < 0:
            return None
        spans.append((start, start + len(value), e["entity"]))
    out, last = [], 0
    for start, end, entity in sorted(spans):
        out += [text[last:start], f"[{text[start:end]}]({entity})"]
        last = end
    return "".join(out) + text[last:]


def build_nlu(annotations: list[Annotation], intents: list[str], report: Report) -> str:
    """Rasa 3 NLU data: one example per message with a confirmed or corrected intent."""
    chosen: dict[str, tuple[str, str]] = {}  # dedupe key -> (intent, example)
    conflicts: set[str] = set()
    for a in annotations:
        if not a.intent:
            continue
        what = _label(a)
        if a.not_useful:
            report.skip(what, "marked not useful")
            continue
        if a.intent not in intents:
            report.skip(what, f"intent {a.intent!r} is not offered for training")
            continue
        text = exportable_text(a, report, what)
        if text is None:
            continue
        if text.startswith("/") or ENTITY_MARKUP.search(text):
            report.skip(what, "a button payload or entity markup, not a visitor's words")
            continue
        example = _markup(text, a.entities)
        if example is None:
            report.skip(what, "an entity value that cannot be marked in the text")
            continue
        key = dedupe_key(text)
        if key in chosen and chosen[key][0] != a.intent:
            conflicts.add(key)
        chosen[key] = (a.intent, example)
    for key in sorted(conflicts):
        report.skip(f"example {chosen.pop(key)[1]!r}", "annotated with different intents")
    by_intent: dict[str, list[str]] = {}
    for intent, example in chosen.values():
        by_intent.setdefault(intent, []).append(example)
    report.nlu = len(chosen)
    return nlu_yaml(by_intent)


def nlu_yaml(by_intent: dict[str, list[str]]) -> str:
    """The Rasa NLU file for examples grouped by intent (sorted, one line each)."""
    lines = [HEADER.rstrip("\n"), 'version: "3.1"', "nlu:" if by_intent else "nlu: []"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {ex}" for ex in sorted(set(by_intent[intent]), key=dedupe_key)]
    return "\n".join(lines) + "\n"


def build_triage_cases(annotations: list[Annotation], report: Report) -> str:
    """Missed signs (tier emergency/urgent) and false escalations (tier none)."""
    chosen: dict[str, dict[str, Any]] = {}
    conflicts: set[str] = set()
    for a in annotations:
        if a.triage not in ("emergency", "urgent", "none"):
            continue
        what = _label(a)
        if a.not_useful:
            report.skip(what, "marked not useful")
            continue
        text = exportable_text(a, report, what)
        if text is None:
            continue
        key = dedupe_key(text)
        if key in chosen and chosen[key]["tier"] != a.triage:
            conflicts.add(key)
        chosen[key] = {"text": text, "tier": a.triage, "signs": [], "e2e": False}
    for key in sorted(conflicts):
        report.skip(f"case {chosen.pop(key)['text']!r}", "marked with different tiers")
    report.triage = len(chosen)
    return triage_yaml(list(chosen.values()))


def triage_yaml(cases: list[dict[str, Any]]) -> str:
    """A triage case file (tests/triage_cases.yml's format), sorted by tier then text."""
    order = {"emergency": 0, "urgent": 1, "none": 2}
    cases = sorted(cases, key=lambda c: (order.get(c["tier"], 3), dedupe_key(c["text"])))
    head = ("# Red-flag triage cases reviewed in the staff console: missed signs (their tier)\n"
            "# and false escalations (tier none). Format: tests/triage_cases.yml.\n")
    return head + dump({"cases": cases})


def story_name(sender_id: str, session: int) -> str:
    """A story name that does not reveal the visitor id."""
    return f"reviewed {hashlib.sha256(sender_id.encode()).hexdigest()[:12]} session {session}"


def _entity_list(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{str(e["entity"]): e.get("value")} for e in entities
            if isinstance(e.get("entity"), str)]


def _inline(text: str, entities: list[dict[str, Any]]) -> str | None:
    """`text` with the logged entities marked at their positions, or None if they
    cannot be (no positions, overlapping, or the text looks like markup)."""
    if text.startswith("/") or ENTITY_MARKUP.search(text):
        return None
    spans = []
    for e in entities:
        start, end = e.get("start"), e.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            return None
        spans.append((start, end, e))
    spans.sort(key=lambda s: s[0])
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        return None
    out, last = [], 0
    for start, end, e in spans:
        span = text[start:end]
        if any(ch in span for ch in "[]"):
            return None
        meta = json.dumps({"entity": e["entity"], "value": e.get("value")}, ensure_ascii=False)
        out += [text[last:start], f"[{span}]{meta}"]
        last = end
    return "".join(out) + text[last:]


def _user_step(data: dict[str, Any], annotation: Annotation | None) -> dict[str, Any]:
    intent, _ = top_intent(data)
    entities = [e for e in (data.get("parse_data") or {}).get("entities") or []
                if isinstance(e, dict) and isinstance(e.get("entity"), str)]
    edited = annotation is not None and annotation.edited_text is not None
    text = one_line(annotation.text if annotation is not None else str(data.get("text") or ""))
    # A text with personal details goes as its intent only; an edited text has lost
    # the logged entities' positions, so its entities go as a list.
    inline = None if not text or (privacy.is_personal(text) and not edited) or (
        edited and entities) else _inline(text, entities)
    if inline is not None:
        return {"user": inline, "intent": intent}
    step: dict[str, Any] = {"intent": intent}
    if entities:
        step["entities"] = _entity_list(entities)
    return step


def marked_wrong(data: dict[str, Any], annotation: Annotation | None) -> bool:
    """Whether the reviewer said the assistant got this message wrong: a corrected
    intent, a missed warning sign or a false escalation."""
    if annotation is None:
        return False
    intent, _ = top_intent(data)
    return bool(annotation.intent and annotation.intent != intent) or annotation.triage in (
        "emergency", "urgent", "none")


def story_steps(rows: list[Any], annotations: dict[int, Annotation]
                ) -> tuple[list[list[dict[str, Any]]], list[int]]:
    """A conversation's events (id, type_name, timestamp, data; by id) as the steps
    of one story per session, and the messages where a story was cut.

    A story asserts what the assistant did, so it stops before a message the
    reviewer marked wrong (the reply to it, and what followed, were not right);
    feedback messages and their rewinds are left out.
    """
    sessions: list[list[dict[str, Any]]] = [[]]
    cut: list[int] = []
    stopped = skip_rewind = False
    for row in rows:
        data = parse_data(row.data)
        kind = row.type_name
        if kind == "session_started":
            if sessions[-1]:
                sessions.append([])
            stopped = False
            continue
        if stopped:
            continue
        if kind == "user":
            if fb.is_feedback(data):
                skip_rewind = True
                continue
            annotation = annotations.get(row.id)
            if marked_wrong(data, annotation):
                stopped = True
                cut.append(row.id)
                continue
            step = _user_step(data, annotation)
            if step["intent"]:
                sessions[-1].append(step)
        elif kind == "rewind" and skip_rewind:
            skip_rewind = False
        elif kind == "action":
            name = data.get("name")
            if isinstance(name, str) and name not in SKIPPED_ACTIONS:
                sessions[-1].append({"action": name})
        elif kind == "slot" and isinstance(data.get("name"), str):
            sessions[-1].append({"slot_was_set": [{data["name"]: data.get("value")}]})
        elif kind == "active_loop":
            sessions[-1].append({"active_loop": data.get("name")})
    return [s for s in sessions if any("intent" in step for step in s)], cut


def build_stories(conversations: list[tuple[str, list[Any]]],
                  annotations: dict[int, Annotation], report: Report) -> str:
    """Rasa test stories for the conversations saved as tests."""
    stories = []
    for sender_id, rows in conversations:
        sessions, cut = story_steps(rows, annotations)
        for event_id in cut:
            report.skip(f"message {event_id} and what followed it in its session",
                        "marked wrong by a reviewer: a story asserts only what was right")
        if not sessions:
            report.skip(f"saved conversation {story_name(sender_id, 1)}",
                        "no visitor message left")
        for number, steps in enumerate(sessions, start=1):
            stories.append({"story": story_name(sender_id, number), "steps": steps})
    report.stories = len(stories)
    head = ("# Conversations saved as tests in the staff console: `rasa test core --stories`.\n")
    return head + dump({"version": "3.1", "stories": stories})


@dataclass
class TrainingExport:
    files: dict[str, str]
    report: Report


def build(annotations: list[Annotation], intents: list[str],
          saved: list[tuple[str, list[Any]]]) -> TrainingExport:
    """The three files from every annotation and the saved conversations."""
    report = Report()
    by_event = {a.event_id: a for a in annotations}
    files = {NLU_FILE: build_nlu(annotations, intents, report),
             TRIAGE_FILE: build_triage_cases(annotations, report),
             STORIES_FILE: build_stories(saved, by_event, report)}
    return TrainingExport(files=files, report=report)
