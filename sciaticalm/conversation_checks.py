"""Scripted visitor conversations, judged only on what the visitor sees.

Pure logic, no server: load and validate a suite file (tests/conversations/*.yml),
judge one turn's replies (Rasa REST reply dicts: `text`, `buttons`, `custom`)
against the turn's `expect`, run a suite through any `send(sender, text)`
callable and write a transcript report of the failing turns plus a JSON summary.

The texts that mark a scope refusal, a "didn't understand" fallback and the
disclaimer are read from the project's own sources (domain.yml, content/), so
the checks follow the assistant when its wording changes.

Suite format::

    conversations:
      - name: "..."
        category: statement   # see CATEGORIES
        turns:
          - say: "visitor text"        # or click: "part of a button title"
            expect: {says_any: [...], refusal: true, ...}   # see CHECK_KEYS
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sciaticalm.content import Library, load_library
from sciaticalm.render import fill
from sciaticalm.tiers import tier_rank

REPO = Path(__file__).resolve().parents[1]

CATEGORIES = ("statement", "followup", "long", "clear", "assessment", "smalltalk", "redflag")
CHECK_KEYS = ("says_any", "says_all", "says_none", "not_refusal", "refusal", "max_chars",
              "disclaimer_shown", "escalates", "buttons_any")
CONVERSATION_KEYS = ("name", "category", "turns")
TURN_KEYS = ("say", "click", "expect")
LEVELS = ("emergency", "urgent", "none")
# Fallback responses of domain.yml ("didn't understand / rephrase / did you mean").
FALLBACK_RESPONSES = ("utter_ask_rephrase", "utter_did_you_mean")
# Domain responses that state the assistant's scope (the last fallback stage).
REFUSAL_RESPONSES = ("utter_default",)
# Entries of content/disclaimer.yml that are the disclaimer ("bot_identity" is not).
DISCLAIMER_KEYS = ("full", "reminder")

Send = Callable[[str, str], list[dict[str, Any]]]


class SuiteError(ValueError):
    """A suite file that does not follow the format."""


# ------------------------------------------------------------------ suite files
@dataclass(frozen=True)
class Turn:
    """One visitor turn: typed text (`say`) or a button click (`click`)."""

    say: str | None
    click: str | None
    expect: dict[str, Any]

    @property
    def shown(self) -> str:
        """The turn as the visitor did it, for reports."""
        return self.say if self.say is not None else f"[click] {self.click}"


@dataclass(frozen=True)
class Conversation:
    name: str
    category: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Suite:
    name: str
    conversations: tuple[Conversation, ...]
    path: Path | None = None


def _as_text(value: Any, where: str) -> str:
    """A string item of a check list (numbers are allowed, YAML booleans are not)."""
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise SuiteError(f"{where}: {value!r} is not a string (quote it in the YAML)")
    text = str(value)
    if not text.strip():
        raise SuiteError(f"{where}: empty string")
    return text


def _text_list(value: Any, where: str, *, nested: bool = False) -> list[Any]:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        raise SuiteError(f"{where}: expected a non-empty list of strings, got {value!r}")
    items: list[Any] = []
    for i, item in enumerate(value):
        if nested and isinstance(item, list):
            if not item:
                raise SuiteError(f"{where}[{i}]: empty list of alternatives")
            items.append([_as_text(alt, f"{where}[{i}]") for alt in item])
        else:
            items.append(_as_text(item, f"{where}[{i}]"))
    return items


def _known_mapping(raw: Any, where: str, known: Any, what: str, keys: str) -> None:
    """Fail unless `raw` is a mapping whose keys are all in `known`."""
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: {what}must be a mapping, got {raw!r}")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise SuiteError(f"{where}: unknown {keys}(s) {unknown}; "
                         f"known keys: {', '.join(known)}")


def _validate_expect(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    _known_mapping(raw, where, CHECK_KEYS, "expect ", "check key")
    expect: dict[str, Any] = {}
    for key, value in raw.items():
        at = f"{where}.{key}"
        if key in ("says_any", "says_none", "buttons_any"):
            expect[key] = _text_list(value, at)
        elif key == "says_all":
            expect[key] = _text_list(value, at, nested=True)
        elif key in ("not_refusal", "refusal", "disclaimer_shown"):
            if not isinstance(value, bool):
                raise SuiteError(f"{at}: expected true or false, got {value!r}")
            expect[key] = value
        elif key == "max_chars":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise SuiteError(f"{at}: expected a positive integer, got {value!r}")
            expect[key] = value
        elif key == "escalates":
            level = "none" if value is None or value is False else value
            if level not in LEVELS:
                raise SuiteError(f"{at}: expected one of {', '.join(LEVELS)}, got {value!r}")
            expect[key] = level
    return expect


def _validate_turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: a turn must be a mapping, got {raw!r}")
    unknown = sorted(set(raw) - set(TURN_KEYS))
    if unknown:
        hint = " (check keys go under `expect:`)" if set(unknown) & set(CHECK_KEYS) else ""
        raise SuiteError(f"{where}: unknown turn key(s) {unknown}{hint}; "
                         f"known keys: {', '.join(TURN_KEYS)}")
    if ("say" in raw) == ("click" in raw):
        raise SuiteError(f"{where}: a turn needs exactly one of `say` or `click`")
    if "say" in raw:
        say = raw["say"]
        if isinstance(say, bool) or say is None or isinstance(say, list | dict):
            raise SuiteError(f"{where}.say: {say!r} is not a string (quote it in the YAML)")
        return Turn(say=str(say), click=None,
                    expect=_validate_expect(raw.get("expect"), f"{where}.expect"))
    click = _as_text(raw["click"], f"{where}.click")
    return Turn(say=None, click=click,
                expect=_validate_expect(raw.get("expect"), f"{where}.expect"))


def parse_suite(data: Any, name: str = "suite", path: Path | None = None) -> Suite:
    """Validate a loaded suite document; raise SuiteError naming the first problem."""
    if not isinstance(data, dict):
        raise SuiteError(f"{name}: the file must be a mapping with `conversations:`")
    unknown = sorted(set(data) - {"conversations"})
    if unknown:
        raise SuiteError(f"{name}: unknown top-level key(s) {unknown}; expected `conversations`")
    raw_conversations = data.get("conversations")
    if not isinstance(raw_conversations, list) or not raw_conversations:
        raise SuiteError(f"{name}: `conversations` must be a non-empty list")
    conversations = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_conversations):
        where = f"{name}: conversations[{i}]"
        _known_mapping(raw, where, CONVERSATION_KEYS, "", "key")
        conv_name = raw.get("name")
        if not isinstance(conv_name, str) or not conv_name.strip():
            raise SuiteError(f"{where}: `name` must be a non-empty string")
        where = f"{name}: conversation {conv_name!r}"
        if conv_name in seen:
            raise SuiteError(f"{where}: duplicate name")
        seen.add(conv_name)
        category = raw.get("category")
        if category not in CATEGORIES:
            raise SuiteError(f"{where}: category must be one of {', '.join(CATEGORIES)}, "
                             f"got {category!r}")
        turns = raw.get("turns")
        if not isinstance(turns, list) or not turns:
            raise SuiteError(f"{where}: `turns` must be a non-empty list")
        conversations.append(Conversation(
            name=conv_name, category=category,
            turns=tuple(_validate_turn(t, f"{where} turn {j + 1}") for j, t in enumerate(turns)),
        ))
    return Suite(name=name, conversations=tuple(conversations), path=path)


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file; the suite is named after the file's stem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML: {exc}") from exc
    return parse_suite(data, name=path.stem, path=path)


def load_gates(path: str | Path) -> dict[str, float]:
    """gates.yml: suite file name -> minimum pass rate (0..1)."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: expected a mapping `suite.yml: min pass rate`")
    gates = {}
    for suite, gate in data.items():
        if isinstance(gate, bool) or not isinstance(gate, int | float) or not 0 <= gate <= 1:
            raise SuiteError(f"{path}: gate for {suite!r} must be a number in 0..1, got {gate!r}")
        gates[str(suite)] = float(gate)
    return gates


# ------------------------------------------------------------ project texts
@dataclass(frozen=True)
class ProjectTexts:
    """Visible forms (see visible()) of the texts the checks recognise."""

    refusals: tuple[str, ...]
    fallbacks: tuple[str, ...]
    disclaimers: tuple[str, ...]
    escalation_text: dict[str, str]  # level -> first sentence of its call to action


def _domain_texts(domain: dict[str, Any], response: str) -> list[str]:
    variations = (domain.get("responses") or {}).get(response)
    if not variations:
        raise SuiteError(f"domain.yml has no response {response!r}")
    # Rasa's response templating turns {{ }} back into { }.
    return [v["text"].replace("{{", "{").replace("}}", "}") for v in variations if v.get("text")]


def _first_sentence(text: str) -> str:
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


def project_texts_from(domain: dict[str, Any], lib: Library) -> ProjectTexts:
    """The recognised texts, from a loaded domain and content library."""

    def shown(texts: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(visible(fill(t, lib, "rest")) for t in texts))

    refusals = [lib.menu["scope"]["text"]]  # what action_out_of_scope sends
    for response in REFUSAL_RESPONSES:
        refusals += _domain_texts(domain, response)
    fallbacks = [t for r in FALLBACK_RESPONSES for t in _domain_texts(domain, r)]
    fallbacks.append(lib.menu["second_miss"]["text"])  # what a second miss in a row says
    disclaimers = [lib.disclaimer[k]["text"] for k in DISCLAIMER_KEYS]
    escalation = {level: _first_sentence(lib.escalation[level]["action"])
                  for level in ("emergency", "urgent")}
    return ProjectTexts(refusals=shown(refusals), fallbacks=shown(fallbacks),
                        disclaimers=shown(disclaimers), escalation_text=escalation)


@lru_cache(maxsize=4)
def project_texts(repo: Path = REPO) -> ProjectTexts:
    """The recognised texts of the repo's domain.yml and content/ (loaded once)."""
    domain = yaml.safe_load((repo / "domain.yml").read_text(encoding="utf-8"))
    return project_texts_from(domain, load_library(repo / "content"))


# ------------------------------------------------------------------ judging
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def visible(text: str | None) -> str:
    """Text roughly as the visitor reads it, for matching: markdown links become
    their label, bold marks go, quotes are straightened, whitespace collapsed,
    lower case."""
    text = _LINK.sub(r"\1", text or "").replace("**", "")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split()).lower()


def reply_text(replies: Sequence[Mapping[str, Any]]) -> str:
    """All bot messages of a turn joined, in their visible form."""
    return visible("\n".join(str(r.get("text") or "") for r in replies))


def button_titles(replies: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(b.get("title") or "") for r in replies for b in (r.get("buttons") or [])]


def find_button(replies: Sequence[Mapping[str, Any]], part: str) -> dict[str, Any] | None:
    """The button whose title is `part` (case-insensitive), else the first containing it."""
    buttons = [b for r in replies for b in (r.get("buttons") or [])]
    wanted = visible(part)
    for button in buttons:
        if visible(str(button.get("title") or "")) == wanted:
            return dict(button)
    for button in buttons:
        if wanted in visible(str(button.get("title") or "")):
            return dict(button)
    return None


def escalation_level(replies: Sequence[Mapping[str, Any]],
                     texts: ProjectTexts | None = None) -> str | None:
    """"emergency", "urgent" or None: the level in a `custom.sciaticalm` payload, or the
    escalation's call to action (content/escalation.yml) in the text. The rule of
    tests/e2e/test_triage_gate_live.py."""
    texts = texts or project_texts()
    levels = [r["custom"]["sciaticalm"].get("level") for r in replies
              if isinstance(r.get("custom"), dict)
              and isinstance(r["custom"].get("sciaticalm"), dict)]
    joined = "\n".join(str(r.get("text") or "") for r in replies)
    if "emergency" in levels or texts.escalation_text["emergency"] in joined:
        return "emergency"
    if "urgent" in levels or texts.escalation_text["urgent"] in joined:
        return "urgent"
    return None


def _matches(replies: Sequence[Mapping[str, Any]], known: tuple[str, ...]) -> list[str]:
    """The known texts that some message of the turn contains."""
    messages = [visible(str(r.get("text") or "")) for r in replies]
    return [k for k in known if any(k in m for m in messages)]


def is_refusal(replies: Sequence[Mapping[str, Any]], texts: ProjectTexts | None = None) -> bool:
    """The turn contains the scope refusal (action_out_of_scope or utter_default)."""
    return bool(_matches(replies, (texts or project_texts()).refusals))


def is_fallback(replies: Sequence[Mapping[str, Any]], texts: ProjectTexts | None = None) -> bool:
    """The turn contains a "didn't understand / rephrase / did you mean" fallback."""
    return bool(_matches(replies, (texts or project_texts()).fallbacks))


def shows_disclaimer(replies: Sequence[Mapping[str, Any]],
                     texts: ProjectTexts | None = None) -> bool:
    """The turn contains the disclaimer (its full text or the short reminder)."""
    return bool(_matches(replies, (texts or project_texts()).disclaimers))


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    reason: str


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def judge_turn(
    replies: Sequence[Mapping[str, Any]],
    expect: Mapping[str, Any],
    *,
    disclaimer_before: bool = False,
    texts: ProjectTexts | None = None,
) -> list[CheckResult]:
    """Judge one turn's replies against its (validated) `expect`, one result per key.

    disclaimer_before: the disclaimer was shown in an earlier turn of the conversation.
    """
    texts = texts or project_texts()
    said = reply_text(replies)
    results = []
    for key, want in expect.items():
        if key == "says_any":
            hits = [w for w in want if visible(w) in said]
            results.append(CheckResult(key, bool(hits), f"found {hits[0]!r}" if hits
                                       else f"none of {want} in the reply"))
        elif key == "says_all":
            missing = []
            for item in want:
                alternatives = item if isinstance(item, list) else [item]
                if not any(visible(a) in said for a in alternatives):
                    missing.append(item)
            results.append(CheckResult(key, not missing, f"missing {missing}" if missing
                                       else "all present"))
        elif key == "says_none":
            hits = [w for w in want if visible(w) in said]
            results.append(CheckResult(key, not hits, f"reply contains {hits}" if hits
                                       else "none present"))
        elif key in ("not_refusal", "refusal"):
            refused = _matches(replies, texts.refusals)
            fell_back = _matches(replies, texts.fallbacks)
            if key == "refusal":
                ok = bool(refused) == want
                what = (f"scope refusal {_short(refused[0])!r}" if refused
                        else "fallback " + repr(_short(fell_back[0])) + ", not the scope refusal"
                        if fell_back else "no scope refusal")
            else:
                ok = (not refused and not fell_back) == want
                what = (f"scope refusal {_short(refused[0])!r}" if refused
                        else f"fallback {_short(fell_back[0])!r}" if fell_back
                        else "neither refusal nor fallback")
            results.append(CheckResult(key, ok, what))
        elif key == "max_chars":
            length = sum(len(visible(str(r.get("text") or ""))) for r in replies)
            results.append(CheckResult(key, length <= want, f"{length} chars (max {want})"))
        elif key == "disclaimer_shown":
            now = shows_disclaimer(replies, texts)
            shown = disclaimer_before or now
            where = "this turn" if now else "an earlier turn" if disclaimer_before else "no turn"
            results.append(CheckResult(key, shown == want, f"disclaimer shown in {where}"))
        elif key == "escalates":
            level = escalation_level(replies, texts)
            if want == "none":
                ok = level is None
            else:  # at its level or higher, as the triage gate counts it
                ok = tier_rank(level) >= tier_rank(want)
            results.append(CheckResult(key, ok, f"escalation level {level or 'none'}"
                                       f" (expected {want}{'' if want == 'none' else '+'})"))
        elif key == "buttons_any":
            titles = button_titles(replies)
            hits = [w for w in want if any(visible(w) in visible(t) for t in titles)]
            results.append(CheckResult(key, bool(hits), f"button for {hits[0]!r}" if hits
                                       else f"no button like {want}; buttons: {titles}"))
        else:  # validated suites never get here
            raise SuiteError(f"unknown check key {key!r}")
    return results


# ------------------------------------------------------------------ running
@dataclass
class TurnResult:
    index: int  # 1-based
    shown: str  # what the visitor did
    sent: str | None  # the message sent (a click's payload), None if nothing was sent
    replies: list[dict[str, Any]]
    checks: list[CheckResult]
    error: str | None = None

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]


@dataclass
class ConversationResult:
    name: str
    category: str
    sender: str
    turns: list[TurnResult] = field(default_factory=list)

    @property
    def checks(self) -> list[CheckResult]:
        return [c for t in self.turns for c in t.checks]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class SuiteResult:
    suite: str
    conversations: list[ConversationResult]
    seconds: float
    source: str = ""

    def counts(self, category: str | None = None) -> tuple[int, int]:
        """(checks passed, checks run), for one category or all."""
        checks = [c for conv in self.conversations
                  if category is None or conv.category == category for c in conv.checks]
        return sum(c.passed for c in checks), len(checks)

    @property
    def rate(self) -> float:
        passed, total = self.counts()
        return passed / total if total else 0.0

    def by_category(self) -> dict[str, dict[str, Any]]:
        out = {}
        for category in CATEGORIES:
            convs = [c for c in self.conversations if c.category == category]
            if not convs:
                continue
            passed, total = self.counts(category)
            out[category] = {"checks": total, "passed": passed,
                             "rate": passed / total if total else 0.0,
                             "conversations": len(convs),
                             "conversations_passed": sum(c.passed for c in convs)}
        return out


def run_conversation(conversation: Conversation, send: Send, sender: str,
                     texts: ProjectTexts | None = None) -> ConversationResult:
    """Play one conversation through `send(sender, text) -> replies` and judge each turn.

    A click whose button is not in the previous reply sends nothing and fails the
    extra check `click`; a send that raises fails every check of its turn.
    """
    texts = texts or project_texts()
    result = ConversationResult(conversation.name, conversation.category, sender)
    previous: list[dict[str, Any]] = []
    disclaimer_before = False
    for i, turn in enumerate(conversation.turns, 1):
        checks: list[CheckResult] = []
        message = turn.say
        if turn.click is not None:
            button = find_button(previous, turn.click)
            titles = button_titles(previous)
            if button is None or not button.get("payload"):
                checks.append(CheckResult("click", False,
                                          f"no button like {turn.click!r}; buttons: {titles}"))
            else:
                message = str(button["payload"])
                checks.append(CheckResult("click", True, f"clicked {button.get('title')!r}"))
        if message is None:
            checks += [CheckResult(k, False, "not run: nothing was sent") for k in turn.expect]
            result.turns.append(TurnResult(i, turn.shown, None, [], checks))
            previous = []
            continue
        try:
            replies = list(send(sender, message))
        except Exception as exc:  # any failure of the channel fails the turn
            error = f"{type(exc).__name__}: {exc}"
            checks += [CheckResult(k, False, f"not run: {error}") for k in turn.expect]
            result.turns.append(TurnResult(i, turn.shown, message, [], checks, error))
            previous = []
            continue
        checks += judge_turn(replies, turn.expect, disclaimer_before=disclaimer_before,
                             texts=texts)
        disclaimer_before = disclaimer_before or shows_disclaimer(replies, texts)
        result.turns.append(TurnResult(i, turn.shown, message, replies, checks))
        previous = replies
    return result


def run_suite(suite: Suite, send: Send, sender_prefix: str = "conv",
              texts: ProjectTexts | None = None) -> SuiteResult:
    """Run every conversation of the suite, each with a fresh sender id."""
    texts = texts or project_texts()
    start = time.monotonic()
    conversations = [
        run_conversation(conv, send, f"{sender_prefix}-{suite.name}-{i}-{uuid.uuid4().hex[:12]}",
                         texts)
        for i, conv in enumerate(suite.conversations, 1)
    ]
    return SuiteResult(suite.name, conversations, time.monotonic() - start,
                       source=str(suite.path or ""))


# ------------------------------------------------------------------ reports
def summary(result: SuiteResult, gate: float | None = None) -> dict[str, Any]:
    """The JSON summary: overall and per-category pass rates, and every failed check."""
    passed, total = result.counts()
    failures = [
        {"conversation": conv.name, "category": conv.category, "turn": turn.index,
         "visitor": turn.shown, "check": check.check, "reason": check.reason}
        for conv in result.conversations for turn in conv.turns for check in turn.failed
    ]
    return {
        "suite": result.suite, "source": result.source, "gate": gate,
        "checks": total, "passed": passed, "rate": round(result.rate, 4),
        "conversations": len(result.conversations),
        "conversations_passed": sum(c.passed for c in result.conversations),
        "seconds": round(result.seconds, 2),
        "categories": {k: {**v, "rate": round(v["rate"], 4)}
                       for k, v in result.by_category().items()},
        "failures": failures,
    }


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in (text or "").splitlines()] or [">"]


def _reply_lines(replies: list[dict[str, Any]]) -> list[str]:
    if not replies:
        return ["_(no reply)_", ""]
    lines: list[str] = []
    for n, reply in enumerate(replies, 1):
        lines.append(f"Message {n}:")
        lines += _quote(str(reply.get("text") or "")) if reply.get("text") else ["> _(no text)_"]
        titles = [str(b.get("title")) for b in reply.get("buttons") or []]
        if titles:
            lines.append("> Buttons: " + " | ".join(f"[{t}]" for t in titles))
        if reply.get("custom") is not None:
            lines.append(f"> Custom: `{json.dumps(reply['custom'], ensure_ascii=False)}`")
        other = sorted(set(reply) - {"text", "buttons", "custom", "recipient_id"})
        if other:
            lines.append(f"> Also: {', '.join(other)}")
        lines.append("")
    return lines


def markdown_report(result: SuiteResult, gate: float | None = None) -> str:
    """A readable transcript of every failing turn, after the pass rates."""
    passed, total = result.counts()
    lines = [f"# Conversation suite `{result.suite}`", ""]
    if result.source:
        lines.append(f"Source: `{result.source}`")
    gate_text = f" (gate {gate:.1%})" if gate is not None else ""
    lines += [
        f"Checks passed: **{passed}/{total} = {result.rate:.1%}**{gate_text}; "
        f"conversations fully passed: {sum(c.passed for c in result.conversations)}"
        f"/{len(result.conversations)}; {result.seconds:.1f} s.", "",
        "| category | checks passed | rate | conversations passed |",
        "|---|---|---|---|",
    ]
    for category, stats in result.by_category().items():
        lines.append(f"| {category} | {stats['passed']}/{stats['checks']} | "
                     f"{stats['rate']:.1%} | {stats['conversations_passed']}"
                     f"/{stats['conversations']} |")
    lines.append("")
    failing = [c for c in result.conversations if not c.passed]
    if not failing:
        lines.append("No failing turns.")
        return "\n".join(lines) + "\n"
    lines += ["## Failing turns", ""]
    for conv in failing:
        lines += [f"### {conv.name} ({conv.category})", "", f"Sender id: `{conv.sender}`", ""]
        for turn in conv.turns:
            if not turn.failed:
                continue
            earlier = [t.shown for t in conv.turns if t.index < turn.index]
            if earlier:
                lines.append("Earlier turns: " + " / ".join(f"\u201c{e}\u201d" for e in earlier))
                lines.append("")
            lines.append(f"**Turn {turn.index}**, visitor: \u201c{turn.shown}\u201d")
            if turn.sent is not None and turn.sent != turn.shown:
                lines.append(f"(sent `{turn.sent}`)")
            lines.append("")
            if turn.error:
                lines += [f"Error: `{turn.error}`", ""]
            lines += ["Reply:", "", *_reply_lines(turn.replies)]
            lines.append("Failed checks:")
            lines += [f"- `{c.check}`: {c.reason}" for c in turn.failed]
            lines.append("")
    return "\n".join(lines) + "\n"


def write_reports(result: SuiteResult, out_dir: str | Path,
                  gate: float | None = None) -> tuple[Path, Path]:
    """Write <out_dir>/<suite>.md and <out_dir>/<suite>.json; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / f"{result.suite}.md", out / f"{result.suite}.json"
    md.write_text(markdown_report(result, gate), encoding="utf-8")
    js.write_text(json.dumps(summary(result, gate), indent=2, ensure_ascii=False) + "\n",
                  encoding="utf-8")
    return md, js


def rates_text(result: SuiteResult) -> str:
    """Overall and per-category pass rates as a few printable lines."""
    passed, total = result.counts()
    lines = [f"{result.suite}: {passed}/{total} checks passed = {result.rate:.1%} "
             f"({sum(c.passed for c in result.conversations)}/{len(result.conversations)} "
             f"conversations, {result.seconds:.1f} s)"]
    for category, stats in result.by_category().items():
        lines.append(f"  {category:<11} {stats['passed']:>4}/{stats['checks']:<4} "
                     f"{stats['rate']:6.1%}")
    return "\n".join(lines)
