"""Deterministic red-flag detector: spaCy matchers plus context rules.

Independent of the ML intent classifier. Patterns live in patterns.yml; this
module only knows how to combine concept matches into signs and how to judge
their context (negated, hypothetical, past, deliberate). Misspelt domain words are
corrected first (spelling.py); a red-flag body system mentioned with a change of
function, but no confirmed emergency sign, yields a safety question instead.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from sciaticalm.tiers import TIER_RANK
from sciaticalm.triage.spelling import Corrected, default_normaliser

PATTERNS_FILE = Path(__file__).with_name("patterns.yml")
MAX_CHARS = 20_000
NEGATION_WINDOW = 6
CLAUSE_BREAKS = {",", ";", ":", "but", "although", "though", "however", "except", "whereas",
                 "otherwise", "apart"}
SYMPTOM_CONCEPTS = ("sensory", "sensory_sitefree", "weakness", "pain", "strong_pain",
                    "nerve_pain", "bladder",
                    "bowel", "sexual", "fever", "night", "severity", "rest_failure", "lump",
                    "weight_loss", "trauma", "chest_pain_phrase", "change", "leg_change",
                    "night_strong")
CONTEXT_SITES = {"saddle_site", "leg_site", "leg_both", "leg_one", "left", "right", "chest_site",
                 *SYMPTOM_CONCEPTS}
EXPLICIT_BOTH = ("both", "each", "either", "left", "right")
# An idiom sets aside what it says, not where: "both legs feel heavy and numb" keeps its legs.
LEG_SITES = {"leg_site", "leg_both", "leg_one", "leg_function"}
# A checklist answer after a mention ("Numbness: no", "Fever - none") denies it.
CHECKLIST_MARKS = {":", "-", "=", "\u2013", "\u2014", "?", "->", "=>"}
CHECKLIST_NO = {"no", "none", "nope", "nah", "nil", "negative", "n/a", "na", "x",
                "\u2717", "\u274c", "never", "zero"}
CHECKLIST_OWN = {"i", "my", "me", "i'm", "im", "i've", "ive", "is", "are", "was", "feels", "feel"}
# Words that may open a question before its question word ("e.g. is numbness serious?").
QUESTION_FILLERS = {"e.g.", "eg", "e.g", "i.e.", "ie", "so", "and", "also", "or", "like", "ok",
                    "okay", "plus", "then", "oh", "hmm", "um", "-", "*", "\u2022", ".", ":"}
# Fever words that are only shivering: explained by cold or excitement, they are no fever.
SHIVER_WORDS = ("shiver", "chill")


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
    """All signs in one message, the highest tier among them, and, when no emergency sign
    is confirmed but the message touches a red-flag body system with a change of function
    or feeling, the safety question to ask (a key of patterns.yml's `safety_questions`)."""

    level: str | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    question: str | None = None
    question_tier: str | None = None
    corrected_text: str | None = None

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
        self.questions: dict[str, dict[str, Any]] = spec.get("safety_questions", {})
        self.speller = default_normaliser()
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
        original = normalise(text)
        corrected = self.speller.correct(original)
        doc = self.nlp(corrected.text)
        matches = self._matches(doc)
        findings: list[Finding] = []
        questions: list[str] = []
        sents = list(doc.sents)
        for i, sent in enumerate(sents):
            if i + 1 < len(sents) and self._answered_no(sent, sents[i + 1], matches):
                continue
            if any(self._denies_before(later, matches) for later in sents[i + 1:i + 3]):
                continue
            sent_findings, sent_questions = self._sentence_findings(doc, sent, matches)
            findings.extend(sent_findings)
            questions.extend(sent_questions)
        level = None
        for f in findings:
            if level is None or TIER_RANK[f.tier] > TIER_RANK[level]:
                level = f.tier
        question = None
        if level != "emergency" and questions:
            question = questions[0]
        if corrected.corrections:
            findings = [_in_original(f, corrected, original) for f in findings]
        return TriageResult(level=level, findings=tuple(findings), question=question,
                            question_tier=self.questions[question]["tier"] if question else None,
                            corrected_text=corrected.text if corrected.corrections else None)

    def detect_in_context(self, text: str | None, previous: str | None = None) -> TriageResult:
        """A message read together with the visitor's previous one, so that an answer
        such as "in both feet" to "where?" completes the sign it started. The joined
        reading counts only when it reaches a higher tier than either message alone."""
        result = self.detect(text)
        if (not text or not previous or previous.lstrip().startswith("/")
                or not self._mentions_site_or_symptom(text)):
            return result
        before = self.detect(previous)
        joined = self.detect(f"{previous.rstrip()} {text.lstrip()}")
        if TIER_RANK.get(joined.level or "", 0) > max(TIER_RANK.get(result.level or "", 0),
                                                      TIER_RANK.get(before.level or "", 0)):
            return _relative_to_latest(joined, len(previous.rstrip()) + 1, text)
        if joined.question and not result.question and not before.question and not (
                result.level or before.level):
            return TriageResult(level=None, question=joined.question,
                                question_tier=joined.question_tier)
        return result

    def _mentions_site_or_symptom(self, text: str) -> bool:
        """Whether a message names a body site or a symptom (an answer to "where?" does)."""
        doc = self.nlp(self.speller.correct(normalise(text)).text)
        labels = {self.nlp.vocab.strings[m] for m, _, _ in [*self.phrases(doc), *self.matcher(doc)]}
        return bool(labels & CONTEXT_SITES)

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
        # Figures of speech ("fever dream", "hit the wall") are no report of anything.
        idioms = result.get("ctx:idiom", [])
        if idioms:
            result = {label: spans if label.startswith("ctx:") or label in LEG_SITES
                      else [s for s in spans if not _overlaps_any(s, idioms)]
                      for label, spans in result.items()}
        # Shivering on a cold start line, or with excitement, is no fever.
        cold = result.get("ctx:cold_cause", [])
        if cold and result.get("fever"):
            cold_sents = {c.sent.start for c in cold}
            result["fever"] = [s for s in result["fever"]
                               if not (s.sent.start in cold_sents
                                       and s[-1].lower_.startswith(SHIVER_WORDS))]
        # "between my legs" is a saddle site, not a leg site.
        saddle = result.get("saddle_site", [])
        for label in ("leg_site", "leg_both", "leg_one"):
            result[label] = [s for s in result.get(label, []) if not _overlaps_any(s, saddle)]
        return result

    # ----------------------------------------------------------------- context
    def _clause_id(self, doc: Doc) -> list[int]:
        ids, current = [], 0
        for tok in doc:
            if tok.is_sent_start or tok.lower_ in CLAUSE_BREAKS or (
                    tok.is_space and "\n" in tok.text):
                current += 1
            ids.append(current)
        return ids

    def _sentence_findings(
        self, doc: Doc, sent: Span, matches: dict[str, list[Span]]
    ) -> tuple[list[Finding], list[str]]:
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
        # "... asking for me": the message's general questions are about the visitor.
        own = bool(matches.get("ctx:own_report"))
        general = {cid: not own and self._is_general_question(toks, within)
                   for cid, toks in clauses.items()}
        # "is tingling in my leg normal?" asks whether it is normal: no denial.
        asked = {cid for cid, toks in clauses.items()
                 if sent.text.rstrip().endswith("?") and self._asks(toks, within)}
        hypothetical = within("ctx:hypothetical")
        others = within("ctx:other_person")
        past_clauses = self._past_clauses(sent, within, clause)
        # Weight lost on purpose: the purpose may be said in another sentence.
        blockers_all = {i for s in matches.get("ctx:negation_blockers", [])
                        for i in range(s.start, s.end)}
        purpose = [s for s in matches.get("ctx:purpose", [])
                   if (sent.start <= s.start < sent.end
                       or not s.sent.text.rstrip().endswith("?"))
                   and not any(clause[n.start] == clause[s.start] and n.end <= s.start
                              and s.start - n.end < 3
                              for n in matches.get("ctx:negation_before", []))
                   and not (set(range(s.start, s.end)) & blockers_all)
                   # "people keep asking if I'm on a diet" is no purpose of the visitor's
                   and not any(h.end <= s.start and h.sent == s.sent
                               for h in matches.get("ctx:hypothetical", []))]

        def state(span: Span) -> bool:
            """True when the mention is a current report, not negated etc."""
            if general[clause[span.start]] or clause[span.start] in past_clauses:
                return False
            if any(h.end <= span.start for h in hypothetical):
                return False
            if self._someone_else(span, clause, others):
                return False
            for n in neg_before:
                if (clause[n.start] == clause[span.start] and n.end <= span.start
                        and span.start - n.end < NEGATION_WINDOW):
                    return False
            for n in neg_after:
                if (clause[n.start] == clause[span.start] and clause[n.start] not in asked
                        and n.start >= span.end
                        and n.start - span.end < NEGATION_WINDOW):
                    return False
            return not self._checklist_no(span, symptom_tokens | blocker_tokens)

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
        questions = [name for name, rule in self.questions.items()
                     if any(active(c) for c in rule["systems"])
                     and any(active(c) for c in rule["changes"])
                     and not any(f.tier == rule["tier"] for f in findings)]
        return findings, questions

    def _someone_else(self, span: Span, clause: list[int], others: list[Span]) -> bool:
        """The mention is about another person ("my mate says his goes down his leg"):
        another person named before it in its clause, and no "I" or "my" of the visitor's
        in the clause outside the words naming that person."""
        doc = span.doc
        cid = clause[span.start]
        before = [o for o in others if o.end <= span.start and clause[o.start] == cid]
        if not before:
            return False
        naming = {i for o in others for i in range(o.start, o.end)}
        own = {"i", "i'm", "im", "i've", "ive", "i'd"} | (self._first_person - {"mine"})
        return not any(tok.lower_ in own for tok in doc
                       if clause[tok.i] == cid and tok.i not in naming)

    @staticmethod
    def _checklist_no(span: Span, symptom_tokens: set[int]) -> bool:
        """A checklist item answered no: "Numbness: no", "Tingling in legs - none". The
        answer ends its line ("legs numb - no pain though" is no answer)."""
        doc, end = span.doc, span.sent.end
        # The item is a label at the start of its line, not a sentence of the visitor's.
        label = []
        for i in range(span.start - 1, span.sent.start - 1, -1):
            if "\n" in doc[i].text:
                break
            if not (doc[i].is_space or doc[i].is_punct):
                label.append(doc[i].lower_)
        if len(label) > 4 or any(w in CHECKLIST_OWN for w in label):
            return False
        for i in range(span.end, min(end, span.end + 8)):
            tok = doc[i]
            if "\n" in tok.text:
                return False
            if tok.text not in CHECKLIST_MARKS:
                continue
            j = i + 1
            while j < end and doc[j].is_space and "\n" not in doc[j].text:
                j += 1
            if j >= end or doc[j].lower_ not in CHECKLIST_NO or j in symptom_tokens:
                return False
            after = doc[j + 1] if j + 1 < len(doc) else None
            return (after is None or "\n" in after.text
                    or (after.is_punct and after.text not in CHECKLIST_MARKS))
        return False

    @staticmethod
    def _answered_no(sent: Span, following: Span, matches: dict[str, list[Span]]) -> bool:
        """A question echoed and answered "no" by the visitor: "night pain? nah, I sleep fine"."""
        if not sent.text.rstrip().endswith("?"):
            return False
        if any(t.lower_ in ("i", "my", "me", "i'm", "im") for t in sent):
            return False
        first = following[0]
        return first.lower_ in ("no", "nah", "nope", "not") and not any(
            s.start == first.i for s in matches.get("ctx:negation_blockers", []))

    @staticmethod
    def _denies_before(sent: Span, matches: dict[str, list[Span]]) -> bool:
        """A sentence that denies what came before: "I don't have any of that"."""
        return any(sent.start <= s.start and s.end <= sent.end
                   for s in matches.get("ctx:denies_previous", []))

    @staticmethod
    def _opening(clause_tokens: list[Any]) -> Any:
        """The clause's first word; a filler or a line break may come before it
        ("e.g. is numbness in the legs serious?")."""
        words = list(clause_tokens)
        while words and (words[0].is_space or words[0].lower_ in QUESTION_FILLERS):
            words.pop(0)
        return words[0] if words else None

    def _asks(self, clause_tokens: list[Any], within: Any) -> bool:
        """The clause opens with a question word ("is", "does", "can" ...)."""
        first = self._opening(clause_tokens)
        if first is None:
            return False
        doc = first.doc
        return any(s.start == first.i for s in within("ctx:question_start")) and not (
            first.i + 1 < len(doc) and doc[first.i + 1].norm_ == "not"
        )

    def _is_general_question(self, clause_tokens: list[Any], within: Any) -> bool:
        """A question about a sign in general ("is numbness serious?"), not a report."""
        first = self._opening(clause_tokens)
        if first is None:
            return False
        doc = first.doc
        # "is it normal to not feel the paper when I wipe?" asks about oneself.
        if any(s.start == first.i for s in within("ctx:report_question")):
            return False
        # A clause that merely ends in "?" ("sciatica in both legs now??") is still a report.
        if not self._asks(clause_tokens, within):
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
        for concept in rule.get("standalone", []):
            if active(concept):
                return active(concept)[0]
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
        # Pain alone counts in both legs ("pain down both legs"), not in both feet or knees
        # (blisters and sore knees after a marathon).
        explicit_both = any(m.span[0].lower_ in EXPLICIT_BOTH
                            and m.span[-1].lower_.startswith("leg") for m in both
                            ) or (len(sides) == 2 and has_leg)
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




def _relative_to_latest(result: TriageResult, offset: int, text: str) -> TriageResult:
    """A joined reading's findings, with offsets clamped into the latest message."""
    def shift(f: Finding) -> Finding:
        start = min(max(f.start - offset, 0), len(text))
        end = min(max(f.end - offset, start), len(text))
        return replace(f, start=start, end=end, text=text[start:end])
    return replace(result, findings=tuple(shift(f) for f in result.findings))


def _in_original(finding: Finding, corrected: Corrected, original: str) -> Finding:
    """The finding with its offsets and text in the visitor's own (uncorrected) words."""
    start, end = corrected.original_span(finding.start, finding.end)
    return replace(finding, start=start, end=end, text=original[start:end])


def _overlaps_any(span: Span, others: list[Span]) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)


@lru_cache(maxsize=1)
def default_detector() -> RedFlagDetector:
    """The shared detector built from the repo's patterns (built once per process)."""
    return RedFlagDetector()
