"""Deterministic red-flag detector: spaCy matchers plus context rules.

Independent of the ML intent classifier. Patterns live in patterns.yml; this
module only knows how to combine concept matches into signs and how to judge
their context (negated, hypothetical, past, deliberate).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

PATTERNS_FILE = Path(__file__).with_name("patterns.yml")
TIER_RANK = {"urgent": 1, "emergency": 2}
MAX_CHARS = 20_000
NEGATION_WINDOW = 6
CLAUSE_BREAKS = {",", ";", ":", "but", "although", "though", "however", "except", "whereas",
                 "otherwise", "apart"}
SYMPTOM_CONCEPTS = ("sensory", "sensory_sitefree", "weakness", "pain", "strong_pain",
                    "nerve_pain", "bladder",
                    "bowel", "sexual", "fever", "night", "severity", "rest_failure", "lump",
                    "weight_loss", "trauma", "chest_pain_phrase")
EXPLICIT_BOTH = ("both", "each", "either", "left", "right")


@dataclass(frozen=True)
class Finding:
    """One red-flag sign found in a message."""

    sign: str
    tier: str
    start: int
    end: int
    text: str
    laterality: str | None = None


@dataclass(frozen=True)
class TriageResult:
    """All signs in one message, and the highest tier among them."""

    level: str | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def signs(self) -> list[str]:
        seen: list[str] = []
        for f in self.findings:
            if f.sign not in seen:
                seen.append(f.sign)
        return seen


@dataclass
class _Mention:
    concept: str
    span: Span
    active: bool = True


def normalise(text: str) -> str:
    """Make text safe and uniform for matching (keeps character offsets stable)."""
    text = text[:MAX_CHARS]
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t" else ch
        for ch in text
    )


class RedFlagDetector:
    """Finds red-flag signs in visitor text."""

    def __init__(self, patterns_file: Path = PATTERNS_FILE) -> None:
        spec = yaml.safe_load(Path(patterns_file).read_text(encoding="utf-8"))
        self.signs: dict[str, dict[str, Any]] = spec["signs"]
        self._experiencer = {str(w).lower() for w in spec["context"]["experiencer_verbs"]}
        self._first_person = {str(w).lower() for w in spec["context"]["first_person"]}
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.matcher = Matcher(self.nlp.vocab)
        for name, concept in spec["concepts"].items():
            self._add_phrases(name, concept.get("phrases", []))
            for pattern in concept.get("patterns", []):
                self.matcher.add(name, [pattern])
        for name, phrases in spec["context"].items():
            self._add_phrases(f"ctx:{name}", phrases)

    def _add_phrases(self, label: str, phrases: list[str]) -> None:
        docs = [self.nlp.make_doc(str(p).lower()) for p in phrases]
        self.phrases.add(label, docs)

    # ------------------------------------------------------------------ public
    def detect(self, text: str | None) -> TriageResult:
        if not text or not text.strip():
            return TriageResult(level=None)
        doc = self.nlp(normalise(text))
        matches = self._matches(doc)
        findings: list[Finding] = []
        for sent in doc.sents:
            findings.extend(self._sentence_findings(doc, sent, matches))
        level = None
        for f in findings:
            if level is None or TIER_RANK[f.tier] > TIER_RANK[level]:
                level = f.tier
        return TriageResult(level=level, findings=tuple(findings))

    # ---------------------------------------------------------------- matching
    def _matches(self, doc: Doc) -> dict[str, list[Span]]:
        by_label: dict[str, list[Span]] = defaultdict(list)
        for match_id, start, end in [*self.phrases(doc), *self.matcher(doc)]:
            label = self.nlp.vocab.strings[match_id]
            by_label[label].append(doc[start:end])
        # Overlapping matches of one concept collapse to the longest; context cues keep
        # them all ("it's gone" and "gone now" are both resolutions).
        result = {label: spans if label.startswith("ctx:") else spacy.util.filter_spans(spans)
                  for label, spans in by_label.items()}
        # "between my legs" is a saddle site, not a leg site.
        saddle = result.get("saddle_site", [])
        for label in ("leg_site", "leg_both", "leg_one"):
            result[label] = [s for s in result.get(label, []) if not _overlaps_any(s, saddle)]
        return result

    # ----------------------------------------------------------------- context
    def _clause_id(self, doc: Doc) -> list[int]:
        ids, current = [], 0
        for tok in doc:
            if tok.is_sent_start or tok.lower_ in CLAUSE_BREAKS:
                current += 1
            ids.append(current)
        return ids

    def _sentence_findings(
        self, doc: Doc, sent: Span, matches: dict[str, list[Span]]
    ) -> list[Finding]:
        def within(label: str) -> list[Span]:
            spans = matches.get(label, [])
            return [s for s in spans if sent.start <= s.start and s.end <= sent.end]

        clause = self._clause_id(doc)
        symptom_tokens = {
            i for c in SYMPTOM_CONCEPTS for s in within(c) for i in range(s.start, s.end)
        }
        blocker_tokens = {i for s in within("ctx:negation_blockers") for i in range(s.start, s.end)}
        neg_before = [s for s in within("ctx:negation_before")
                      if not (set(range(s.start, s.end)) & (symptom_tokens | blocker_tokens))]
        neg_after = within("ctx:negation_after")
        clauses: dict[int, list[Any]] = defaultdict(list)
        for tok in sent:
            clauses[clause[tok.i]].append(tok)
        general = {cid: self._is_general_question(toks, within) for cid, toks in clauses.items()}
        hypothetical = within("ctx:hypothetical")
        past_clauses = self._past_clauses(sent, within, clause)
        purpose = [s for s in within("ctx:purpose")
                   if not any(clause[n.start] == clause[s.start] and n.end <= s.start
                              and s.start - n.end < 3 for n in within("ctx:negation_before"))
                   and not (set(range(s.start, s.end)) & blocker_tokens)]

        def state(span: Span) -> bool:
            """True when the mention is a current report, not negated etc."""
            if general[clause[span.start]] or clause[span.start] in past_clauses:
                return False
            if any(h.end <= span.start for h in hypothetical):
                return False
            for n in neg_before:
                if (clause[n.start] == clause[span.start] and n.end <= span.start
                        and span.start - n.end < NEGATION_WINDOW):
                    return False
            for n in neg_after:
                if (clause[n.start] == clause[span.start] and n.start >= span.end
                        and n.start - span.end < NEGATION_WINDOW):
                    return False
            return True

        mentions: dict[str, list[_Mention]] = {}
        for label in {k for k in matches if not k.startswith("ctx:")}:
            mentions[label] = [_Mention(label, s, state(s)) for s in within(label)]

        def active(label: str) -> list[_Mention]:
            return [m for m in mentions.get(label, []) if m.active]

        def present(label: str) -> bool:
            return bool(mentions.get(label))

        findings: list[Finding] = []
        for sign, rule in self.signs.items():
            if sign == "weight_loss" and purpose:
                continue
            anchor = self._evaluate(rule, active, present, sent)
            if anchor is None:
                continue
            findings.append(self._finding(sign, rule["tier"], anchor.span, rule))
        findings.extend(self._laterality_findings(active, sent, findings))
        return findings

    def _is_general_question(self, clause_tokens: list[Any], within: Any) -> bool:
        """A question about a sign in general ("is numbness serious?"), not a report."""
        if not clause_tokens:
            return False
        first = clause_tokens[0]
        doc = first.doc
        starts_question = any(s.start == first.i for s in within("ctx:question_start")) and not (
            first.i + 1 < len(doc) and doc[first.i + 1].norm_ == "not"
        )
        # A clause that merely ends in "?" ("sciatica in both legs now??") is still a report.
        if not starts_question:
            return False
        for tok in clause_tokens:
            if tok.lower_ in self._first_person:
                return False
            if tok.lower_ == "i" and tok.i + 1 < len(doc):
                nxt = doc[tok.i + 1]
                if nxt.lower_ in self._experiencer or nxt.norm_ in self._experiencer:
                    return False
        return True

    def _past_clauses(self, sent: Span, within: Any, clause: list[int]) -> set[int]:
        """Clauses whose mentions are in the past: a remote time in the clause itself,
        or a resolution ("it's gone") in the sentence; either way with no sign of the
        present in the clause (or in the resolution's clause)."""
        symptom_starts = set()
        for label in SYMPTOM_CONCEPTS:
            symptom_starts |= {s.start for s in within(label)}
        present = within("ctx:present")
        negations = within("ctx:negation_before")
        # "hasn't gone away" is present, not resolved; "never came back" is not present.
        resolved = [
            r for r in within("ctx:resolved")
            if r.end not in symptom_starts
            and not any(p.start <= r.start and r.end <= p.end and len(p) > len(r) for p in present)
        ]
        current = [
            p for p in present
            if not _overlaps_any(p, resolved)
            and not any(n.end <= p.start and p.start - n.end < 2 for n in negations)
        ]
        present_clauses = {clause[p.start] for p in current}
        resolved_clauses = {clause[r.start] for r in resolved}
        past: set[int] = set()
        for tok in sent:
            cid = clause[tok.i]
            if cid in present_clauses:
                continue
            if any(clause[r.start] == cid for r in within("ctx:past_remote")):
                past.add(cid)
            elif resolved_clauses and not (resolved_clauses & present_clauses):
                past.add(cid)
        return past

    @staticmethod
    def _evaluate(rule: dict[str, Any], active: Any, present: Any, sent: Span) -> _Mention | None:
        groups: list[list[str]] = []
        if "requires" in rule:
            groups = [rule["requires"]]
        elif "any_of" in rule:
            groups = rule["any_of"]
        else:
            return None
        if any(present(c) for c in rule.get("without", [])):
            return None
        if rule.get("with_any") and not any(present(c) for c in rule["with_any"]):
            return None
        for group in groups:
            found = [active(c) for c in group]
            if all(found):
                return found[0][0]
        return None

    def _laterality_findings(
        self, active: Any, sent: Span, already: list[Finding]
    ) -> list[Finding]:
        symptom = active("sensory") + active("weakness") + active("nerve_pain")
        pain = active("strong_pain")
        both = active("leg_both")
        one = active("leg_one")
        sides = {m.span.text.lower() for m in active("left") + active("right")}
        has_leg = bool(active("leg_site"))
        bilateral = bool(both) or (len(sides) == 2 and has_leg)
        explicit_both = any(m.span[0].lower_ in EXPLICIT_BOTH for m in both) or (
            len(sides) == 2 and has_leg
        )
        out: list[Finding] = []
        rules = {k: v for k, v in self.signs.items() if "laterality" in v}
        bil = next(k for k, v in rules.items() if v["laterality"] == "both")
        uni = next(k for k, v in rules.items() if v["laterality"] == "one")
        if bilateral and (symptom or (pain and explicit_both)):
            anchor = (symptom or pain)[0].span
            out.append(self._finding(bil, rules[bil]["tier"], anchor, rules[bil], "both"))
        elif symptom and (one or has_leg):
            side = next(iter(sides)) if len(sides) == 1 else "one"
            anchor = symptom[0].span
            out.append(self._finding(uni, rules[uni]["tier"], anchor, rules[uni], side))
        elif active("sensory_sitefree") and not active("saddle_site") and not active(
            "other_site"
        ) and not any(
            f.sign == "saddle_numbness" for f in already
        ):
            anchor = active("sensory_sitefree")[0].span
            out.append(self._finding(uni, rules[uni]["tier"], anchor, rules[uni], None))
        return out

    @staticmethod
    def _finding(
        sign: str, tier: str, span: Span, rule: dict[str, Any], laterality: str | None = None
    ) -> Finding:
        return Finding(sign=sign, tier=tier, start=span.start_char, end=span.end_char,
                       text=span.text, laterality=laterality)




def _overlaps_any(span: Span, others: list[Span]) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)


@lru_cache(maxsize=1)
def default_detector() -> RedFlagDetector:
    """The shared detector built from the repo's patterns (built once per process)."""
    return RedFlagDetector()
