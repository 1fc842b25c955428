"""Merging a training export into the repository's files (pure: texts in, texts out).

Used by scripts/import_reviewed.py (`make import-reviewed DIR=...`) on a
developer's machine; the console itself never writes into the repository.
- NLU examples go into data/nlu/reviewed.yml, unless the repository already has
  them (any intent; an example known under another intent is reported, not added);
- triage cases into tests/triage_cases_reviewed.yml (picked up by the triage gate,
  testkit/case_files.py), unless a case file already has the text;
- test stories are appended to tests/test_stories.yml (the file is otherwise kept
  byte for byte), unless a story of that name is there.
Everything sorted and deduplicated; `Merge.summary()` says what was added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from staff_console.training_export import dedupe_key, dump, nlu_yaml, triage_yaml

#: Rasa's entity markup, replaced by the annotated text for comparisons.
MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


class ImportError_(ValueError):
    """An export file that is not what the console writes."""


@dataclass
class Merge:
    added: dict[str, list[str]] = field(default_factory=lambda: {"nlu": [], "triage": [],
                                                                 "stories": []})
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"added {len(self.added['nlu'])} NLU examples, "
                 f"{len(self.added['triage'])} triage cases, "
                 f"{len(self.added['stories'])} test stories"]
        for kind, items in self.added.items():
            lines += [f"  + {kind}: {item}" for item in items]
        lines += [f"  = skipped: {item}" for item in self.skipped]
        return "\n".join(lines)


def plain(example: str) -> str:
    return MARKUP.sub(r"\1", example)


def nlu_examples(text: str) -> dict[str, list[str]]:
    """Examples by intent of a Rasa NLU YAML file (intents only; other keys ignored)."""
    data = yaml.safe_load(text) or {}
    out: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.setdefault(str(block["intent"]), []).append(line[2:].strip())
    return out


def _is_new(known: dict[str, str], key: str, label: str, merge: Merge, clash: str) -> bool:
    """Whether an exported example is new (then it is known from now on); one the
    repository already has under another label is reported as `clash` + that label."""
    if key not in known:
        known[key] = label
        return True
    if known[key] != label:
        merge.skipped.append(f"{clash} {known[key]}")
    return False


def merge_nlu(export: str, reviewed: str, others: list[str], merge: Merge) -> str:
    """The new data/nlu/reviewed.yml: `reviewed` (its current text, "" if none) plus
    the export's examples that no NLU file of the repository has yet."""
    current = nlu_examples(reviewed) if reviewed else {}
    known: dict[str, str] = {}
    for body in [reviewed, *others]:
        for intent, examples in (nlu_examples(body) if body else {}).items():
            for ex in examples:
                known.setdefault(dedupe_key(plain(ex)), intent)
    for intent, examples in sorted(nlu_examples(export).items()):
        for ex in examples:
            if not _is_new(known, dedupe_key(plain(ex)), intent, merge,
                           f"NLU {ex!r} ({intent}): already an example of"):
                continue
            current.setdefault(intent, []).append(ex)
            merge.added["nlu"].append(f"{intent}: {ex}")
    return nlu_yaml(current)


def _cases(text: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(text) or {}
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise ImportError_("a triage case file needs a `cases:` list")
    return cases


def merge_triage(export: str, reviewed: str, others: list[str], merge: Merge) -> str:
    """The new tests/triage_cases_reviewed.yml."""
    current = _cases(reviewed) if reviewed else []
    known: dict[str, str] = {}
    for body in [reviewed, *others]:
        for case in _cases(body) if body else []:
            for turn in case.get("turns") or [case.get("text", "")]:
                known.setdefault(dedupe_key(str(turn)), str(case.get("tier")))
    for case in _cases(export):
        text, tier = str(case.get("text", "")), case.get("tier")
        if not text or tier not in ("emergency", "urgent", "none"):
            raise ImportError_(f"a triage case needs a text and a tier: {case!r:.80}")
        if not _is_new(known, dedupe_key(text), str(tier), merge,
                       f"triage {text!r} ({tier}): already a case of tier"):
            continue
        current.append({"text": text, "tier": tier, "signs": list(case.get("signs") or []),
                        "e2e": bool(case.get("e2e"))})
        merge.added["triage"].append(f"{tier}: {text}")
    return triage_yaml(current)


def merge_stories(export: str, stories: str, merge: Merge) -> str:
    """tests/test_stories.yml with the export's new stories appended (sorted by name)."""
    existing = yaml.safe_load(stories) or {}
    names = {s.get("story") for s in existing.get("stories") or [] if isinstance(s, dict)}
    new = [s for s in (yaml.safe_load(export) or {}).get("stories") or []
           if isinstance(s, dict) and s.get("story") not in names]
    if not new:
        return stories
    new.sort(key=lambda s: str(s.get("story")))
    merge.added["stories"] += [str(s["story"]) for s in new]
    if _stories_last(stories):
        block = dump(new)
        return stories.rstrip("\n") + "\n" + block
    existing.setdefault("version", "3.1")
    existing["stories"] = [*(existing.get("stories") or []), *new]
    return dump(existing)


def _stories_last(text: str) -> bool:
    """Whether `stories:` is the file's last top-level key, in block style (then new
    stories can be appended as text and the rest of the file stays as it is)."""
    keys = [line for line in text.splitlines()
            if line and not line[0].isspace() and line[0] not in "-#"]
    return bool(keys) and keys[-1].rstrip() == "stories:"
