"""The intents a reviewer may give a message: the domain's, minus those no classifier learns.

Offered: every intent of domain.yml except
- those set only by deterministic components (the red-flag detector's `red_flag`,
  `safety_check`, `safety_clear`; `describe_situation`, `ask_followup`,
  `ask_several`): an example of them would teach the classifier nothing it is
  asked to decide. A missed warning sign is marked as such (a triage case) instead;
- `nlu_fallback` (not an intent, the classifier's "unsure") and `feedback` (the
  widget's rating message, docs/console.md).
"""

from __future__ import annotations

from pathlib import Path

import yaml

DEFAULT_DOMAIN = Path(__file__).resolve().parents[1] / "domain.yml"
NOT_TRAINABLE = frozenset({
    "red_flag", "safety_check", "safety_clear", "describe_situation", "ask_followup",
    "ask_several", "nlu_fallback", "feedback",
})


class DomainError(ValueError):
    pass


def domain_intents(path: Path) -> list[str]:
    """The intent names of a Rasa domain file, in its order."""
    try:
        domain = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise DomainError(f"cannot read the domain {path}: {e}") from e
    names: list[str] = []
    for entry in domain.get("intents") or []:
        # An intent is a name, or {name: {use_entities: ...}}.
        name = next(iter(entry), None) if isinstance(entry, dict) else entry
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def domain_entities(path: Path) -> list[str]:
    """The entities a reviewer may mark: the domain's, but the widget's feedback ones."""
    try:
        domain = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise DomainError(f"cannot read the domain {path}: {e}") from e
    out = []
    for entry in domain.get("entities") or []:
        name = next(iter(entry), None) if isinstance(entry, dict) else entry
        if isinstance(name, str) and not name.startswith("feedback_"):
            out.append(name)
    return out


def trainable(intents: list[str]) -> list[str]:
    """The intents offered to reviewers, sorted."""
    return sorted(i for i in intents if i not in NOT_TRAINABLE)
