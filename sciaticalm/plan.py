"""Build a personal plan from the assessment's answers (pure logic).

The answers point to the article's likely causes ("contributors"); each
contributor's advice comes from content/plan.yml, in order of how strongly
the answers point to it, followed by the advice every runner gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sciaticalm.content import Library
from sciaticalm.render import render_brief

# Fixed order for contributors with the same score: quickest win first.
ORDER = ("see_professional", "training_load", "footwear", "running_form", "core_strength")
LIKELY = 2  # score from which a contributor counts as likely


@dataclass(frozen=True)
class Answers:
    """Canonical answers to the assessment form (see sciaticalm.answers)."""

    pain_onset: str | None = None
    load_change: str | None = None
    shoe_age: str | None = None
    foot_strike: str | None = None
    strength_work: str | None = None
    urgent_screen: str | None = None


@dataclass(frozen=True)
class Contributor:
    id: str
    score: int
    reasons: tuple[str, ...]


@dataclass
class Plan:
    contributors: list[Contributor]
    messages: list[str] = field(default_factory=list)

    @property
    def contributor_ids(self) -> list[str]:
        return [c.id for c in self.contributors]


# What each answer says about the contributors: (question, answers, contributor, points,
# reason), applied in this order (a contributor's reasons keep it).
SCORING: tuple[tuple[str, tuple[str, ...], str, int, str], ...] = (
    ("load_change", ("yes",), "training_load", 3, "load_change_yes"),
    ("pain_onset", ("after", "next_day"), "training_load", 1, "onset_after"),
    ("shoe_age", ("old",), "footwear", 3, "shoe_old"),
    ("shoe_age", ("mid",), "footwear", 1, "shoe_mid"),
    ("shoe_age", ("unsure",), "footwear", 1, "shoe_unsure"),
    ("foot_strike", ("heel",), "running_form", 3, "heel"),
    ("foot_strike", ("unsure",), "running_form", 1, "strike_unsure"),
    ("pain_onset", ("during",), "running_form", 1, "onset_during"),
    ("pain_onset", ("during",), "core_strength", 1, "onset_during"),
    ("strength_work", ("none",), "core_strength", 3, "strength_none"),
    ("strength_work", ("sometimes",), "core_strength", 2, "strength_sometimes"),
    ("pain_onset", ("constant",), "see_professional", 3, "onset_constant"),
    ("urgent_screen", ("unsure",), "see_professional", 3, "screen_unsure"),
)


def score_contributors(a: Answers) -> list[Contributor]:
    """Contributors with a score above zero, strongest first."""
    scores: dict[str, int] = dict.fromkeys(ORDER, 0)
    reasons: dict[str, list[str]] = {k: [] for k in ORDER}
    for question, answers, contributor, points, reason in SCORING:
        if getattr(a, question) in answers:
            scores[contributor] += points
            reasons[contributor].append(reason)
    ranked = sorted(
        (c for c in ORDER if scores[c] > 0), key=lambda c: (-scores[c], ORDER.index(c))
    )
    return [Contributor(c, scores[c], tuple(reasons[c])) for c in ranked]


def build_plan(a: Answers, lib: Library) -> Plan:
    """The plan's contributors and its chat messages, in the order they are sent."""
    spec = lib.plan
    contributors = score_contributors(a)
    likely = [c for c in contributors if c.score >= LIKELY]
    shown = likely or contributors[:2]
    plan = Plan(contributors=contributors)

    if shown:
        lines = [spec["intro"]["text"]]
        for c in shown:
            cspec = spec["contributors"][c.id]
            why = "; ".join(cspec["reasons"][r] for r in c.reasons)
            label = "likely" if c.score >= LIKELY else "worth checking"
            lines.append(f"- **{cspec['title']}** ({label}): {why}.")
        plan.messages.append("\n".join(lines))
    else:
        plan.messages.append(spec["nothing_stands_out"]["text"])

    used: set[str] = set()
    step = 1
    for c in shown:
        cspec = spec["contributors"][c.id]
        plan.messages.append(_section(step, cspec["heading"], cspec["advice"], lib))
        used.update(cspec["advice"])
        step += 1
    for key in ("strengthening", "stretching"):
        section = spec["always"][key]
        refs = [r for r in section["advice"] if r not in used]
        if refs:
            plan.messages.append(_section(step, section["heading"], refs, lib))
            step += 1
    plan.messages.append(spec["details_hint"]["text"])
    return plan


MAX_STATEMENT_SECTIONS = 3


def statement_messages(answers: Answers, lib: Library, *, extras: tuple[str, ...] = (),
                       condition: str | None = None, load_detail: str | None = None,
                       asked: tuple[str, ...] = ()) -> list[str]:
    """The reply to a runner who described their own situation: what they said and why it
    matters, then the advice for the likeliest causes (up to three, one line per item),
    then any item their questions named that the advice left out (`asked`, refs), then the
    offer of the assessment. Short enough for a phone: detail is behind buttons."""
    spec = lib.plan
    texts = spec["statements"]
    messages: list[str] = []
    if condition:
        messages.append(texts["condition"]["text"].replace("{condition}", condition))
    reasons: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for c in score_contributors(answers)[:MAX_STATEMENT_SECTIONS]:
        cspec = spec["contributors"][c.id]
        for r in c.reasons:
            if r == "load_change_yes" and load_detail:
                reasons.append(texts["load_jump"]["text"].replace("{detail}", load_detail))
            else:
                reasons.append(cspec["reasons"][r])
        first = next((cspec["advice_for"][r] for r in c.reasons
                      if r in cspec.get("advice_for", {})), cspec["advice"])
        sections.append((cspec["heading"], list(first)))
    for key in extras:
        extra = texts["extras"][key]
        reasons.append(extra["reason"])
        same = next((refs for heading, refs in sections if heading == extra["heading"]), None)
        if same is not None:
            same.extend(r for r in extra["advice"] if r not in same)
        else:
            sections.append((extra["heading"], list(extra["advice"])))
    if reasons:
        messages.append("\n".join([texts["opening"]["text"], *(f"- {r}" for r in reasons)]))
    shown: set[str] = set()
    for step, (heading, refs) in enumerate(sections[:MAX_STATEMENT_SECTIONS], start=1):
        lines = [f"**{step}. {heading}**"]
        lines += [f"- **{lib.item(ref).title}**: {lib.item(ref).summary}" for ref in refs[:3]]
        shown.update(refs[:3])
        messages.append("\n".join(lines))
    missing = [ref for ref in asked if ref not in shown][:MAX_STATEMENT_SECTIONS]
    if missing:
        messages.append("\n".join([texts["asked"]["text"],
                                   *(render_brief(lib.item(ref)) for ref in missing)]))
    messages.append(texts["offer"]["text"])
    return messages


def first_topic(answers: Answers, lib: Library, extras: tuple[str, ...] = ()) -> str | None:
    """The topic of the first advice a statement reply gives (what "how do I fix it?"
    is then about)."""
    contributors = score_contributors(answers)
    if contributors:
        refs = lib.plan["contributors"][contributors[0].id]["advice"]
    elif extras:
        refs = lib.plan["statements"]["extras"][extras[0]]["advice"]
    else:
        return None
    return str(refs[0]).partition("/")[0]


def _section(step: int, heading: str, refs: list[str], lib: Library) -> str:
    lines = [f"**{step}. {heading}**"]
    lines += [render_brief(lib.item(ref)) for ref in refs]
    return "\n".join(lines)
