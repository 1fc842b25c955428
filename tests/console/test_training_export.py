"""The training exporters, their dedupe and privacy rules, and the import's merge
(pure; every file is read back with Rasa's own readers)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from staff_console import reviewed_import as ri
from staff_console import training_export as te
from staff_console.annotation import Annotation
from staff_console.intents import DEFAULT_DOMAIN, domain_intents, trainable
from testkit.case_files import load_cases

REPO = Path(__file__).resolve().parents[2]
OFFERED = trainable(domain_intents(DEFAULT_DOMAIN))


def note(event_id: int, text: str, *, intent: str | None = None, predicted: str = "greet",
         triage: str = "", not_useful: bool = False, edited: str | None = None,
         entities: list[dict[str, str]] | None = None) -> Annotation:
    return Annotation(event_id=event_id, sender_id="s", original_text=text,
                      predicted_intent=predicted, intent=intent, triage=triage,
                      not_useful=not_useful, edited_text=edited, created_by="rev",
                      created_at=0.0, updated_by="rev", updated_at=float(event_id),
                      entities=entities or [])


def read_nlu(text: str):
    return RasaYAMLReader().reads(text)


def test_nlu_examples_deduplicated_sorted_and_read_by_rasa():
    report = te.Report()
    notes = [
        note(1, "are my trainers too old", intent="ask_footwear"),
        note(2, "Are my  trainers too OLD", intent="ask_footwear"),  # same, case and spacing
        note(3, "hello\x00 there\x1b[31m", intent="greet"),  # control characters stripped
        note(4, "line one\nline two", intent="greet"),  # one line
        note(5, "spam spam", intent="greet", not_useful=True),
        note(6, "numb foot", intent="red_flag"),  # not offered
        note(7, "no intent given"),
        note(8, "it hurts when I plank", intent="ask_strengthening",
             entities=[{"entity": "item", "value": "plank"}]),
        note(9, 'quotes "and" colons: # not a comment', intent="ask_causes"),
    ]
    body = te.build_nlu(notes, OFFERED, report)
    data = read_nlu(body)
    got = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert got == {("ask_footwear", "Are my  trainers too OLD"), ("greet", "hello there[31m"),
                   ("greet", "line one line two"), ("ask_strengthening", "it hurts when I plank"),
                   ("ask_causes", 'quotes "and" colons: # not a comment')}
    plank = next(m for m in data.intent_examples if m.get("intent") == "ask_strengthening")
    assert [(e["entity"], e["value"]) for e in plank.get("entities")] == [("item", "plank")]
    assert report.nlu == 5
    assert any("not useful" in r for r in report.left_out)
    assert any("'red_flag' is not offered" in r for r in report.left_out)
    assert body.index("ask_causes") < body.index("ask_footwear") < body.index("greet")


def test_conflicting_intents_and_markup_are_left_out():
    report = te.Report()
    body = te.build_nlu([
        note(1, "my shins hurt", intent="describe_pain"),
        note(2, "My shins hurt", intent="ask_causes"),
        note(3, "[click](ask_footwear) me", intent="greet"),
        note(4, "/greet", intent="greet"),
    ], OFFERED, report)
    assert read_nlu(body).intent_examples == []
    assert report.nlu == 0 and len(report.left_out) == 3
    assert any("different intents" in r for r in report.left_out)


def test_personal_details_stay_out_unless_edited():
    report = te.Report()
    body = te.build_nlu([
        note(1, "my name is Jane Doe and my back hurts", intent="describe_pain"),
        note(2, "call me on 07700 900123 about my shoes", intent="ask_footwear",
             edited="call me about my shoes"),
    ], OFFERED, report)
    texts = [m.get("text") for m in read_nlu(body).intent_examples]
    assert texts == ["call me about my shoes"]
    assert any("personal details (name)" in r for r in report.left_out)


def test_triage_cases_in_the_gate_format(tmp_path):
    report = te.Report()
    body = te.build_triage_cases([
        note(1, "my left foot keeps going numb", triage="urgent"),
        note(2, "can't feel my bum when I wipe", triage="emergency"),
        note(3, "my legs are tired after a 10k", triage="none"),
        note(4, "MY LEFT FOOT keeps going numb", triage="urgent"),  # duplicate
        note(5, "just an intent", intent="greet"),
        note(6, "my NHS number is 943 476 5919, legs numb", triage="emergency"),
    ], report)
    path = tmp_path / "triage_cases_x.yml"
    path.write_text(body, encoding="utf-8")
    cases = load_cases(path)  # the gate's own loader
    assert [(c.turns[0], c.tier) for c in cases] == [
        ("can't feel my bum when I wipe", "emergency"),
        ("MY LEFT FOOT keeps going numb", "urgent"),
        ("my legs are tired after a 10k", "none")]
    assert report.triage == 3 and len(report.left_out) == 1


def event(i: int, e) -> SimpleNamespace:
    d = e.as_dict()
    return SimpleNamespace(id=i, type_name=d["event"], timestamp=d["timestamp"],
                           data=json.dumps(d))


def conversation() -> list[SimpleNamespace]:
    from tests.console.inbox_log import REVIEW, scripts

    script = scripts(1_700_000_000.0)[REVIEW]
    return [event(i + 1, e) for i, e in enumerate(script.events)]


def test_stories_follow_the_log_and_stop_before_a_reply_marked_wrong():
    rows = conversation()
    by_text = {json.loads(r.data).get("text"): r.id for r in rows if r.type_name == "user"}
    from tests.console.inbox_log import NUMB_FOOT, SHOES

    notes = {by_text[SHOES]: note(by_text[SHOES], SHOES, intent="ask_footwear",
                                  predicted="ask_running_form")}
    report = te.Report()
    body = te.build_stories([("inbox-review", rows)], notes, report)
    domain = Domain.load(str(REPO / "domain.yml"))
    steps = YAMLStoryReader(domain).read_from_string(body)
    assert len(steps) == 1
    events = steps[0].events
    assert [(e.text, e.intent_name) for e in events if isinstance(e, UserUttered)] == [
        ("hello there", "greet"), ("can you show me some exercises", "ask_strengthening")]
    assert [e.action_name for e in events if isinstance(e, ActionExecuted)] == [
        "utter_greet", "action_strengthening_advice"]
    assert "inbox-review" not in body  # the story name does not reveal the visitor
    assert any("marked wrong" in r for r in report.left_out)

    # Unannotated, the whole conversation is the story; feedback messages are not in it.
    body = te.build_stories([("inbox-review", rows)], {}, te.Report())
    events = YAMLStoryReader(domain).read_from_string(body)[0].events
    users = [e.text for e in events if isinstance(e, UserUttered)]
    assert users == ["hello there", "can you show me some exercises", SHOES, NUMB_FOOT,
                     "thanks"]
    assert "feedback" not in body


def test_import_merges_dedupes_and_sorts():
    merge = ri.Merge()
    export = te.nlu_yaml({"ask_footwear": ["are my trainers too old", "new shoes hurt"],
                          "greet": ["hiya"]})
    existing = te.nlu_yaml({"ask_footwear": ["new shoes hurt"]})
    other = te.nlu_yaml({"greet": ["Hiya"], "ask_causes": ["are my trainers too old"]})
    out = ri.merge_nlu(export, existing, [other], merge)
    assert ri.nlu_examples(out) == {"ask_footwear": ["new shoes hurt"]}
    assert merge.added["nlu"] == []
    assert len(merge.skipped) == 1 and "already an example of ask_causes" in merge.skipped[0]

    merge = ri.Merge()
    out = ri.merge_nlu(te.nlu_yaml({"greet": ["well hello", "a new one"]}), existing, [], merge)
    assert ri.nlu_examples(out) == {"ask_footwear": ["new shoes hurt"],
                                    "greet": ["a new one", "well hello"]}
    assert "added 2 NLU examples" in merge.summary()
    again = ri.Merge()
    assert ri.merge_nlu(te.nlu_yaml({"greet": ["well hello"]}), out, [], again) == out
    assert again.added["nlu"] == []


def test_import_triage_and_stories_keep_existing_files():
    merge = ri.Merge()
    export = te.triage_yaml([{"text": "numb foot", "tier": "urgent", "signs": [], "e2e": False},
                             {"text": "i cant feel my bum when i wipe", "tier": "emergency",
                              "signs": [], "e2e": False}])
    gate_files = [(REPO / "tests" / "triage_cases.yml").read_text(encoding="utf-8")]
    out = ri.merge_triage(export, "", gate_files, merge)
    assert [c["text"] for c in yaml.safe_load(out)["cases"]] == ["numb foot"]

    stories = (REPO / "tests" / "test_stories.yml").read_text(encoding="utf-8")
    new = te.build_stories([("inbox-review", conversation())], {}, te.Report())
    merged = ri.merge_stories(new, stories, merge)
    assert merged.startswith(stories.rstrip("\n"))  # the curated file is kept as it is
    domain = Domain.load(str(REPO / "domain.yml"))
    before = YAMLStoryReader(domain).read_from_string(stories)
    after = YAMLStoryReader(domain).read_from_string(merged)
    assert len(after) == len(before) + 1
    assert ri.merge_stories(new, merged, ri.Merge()) == merged  # deduplicated by name
    assert merge.added["stories"] and merge.added["triage"] == ["urgent: numb foot"]


HOSTILE = [
    "- a dash first", ": colon first", "| pipe", "> fold", "&anchor here", "*alias here",
    "!tag here", "%directive", "@at", "`tick", "'single' and \"double\"", "# hash first",
    "trailing colon:", "key: value", "{flow: map}", "[flow, seq]", "yes", "no", "null", "~",
    "0777", "1e3", "tab\tinside", "line\u2028separator", "bom\ufeff inside", "emoji 🏃‍♀️ ok",
    "nul\x00 and esc\x1b", "  leading and trailing spaces  ", "\\backslash\\", "a\rb",
]


def test_hostile_texts_survive_every_file_and_rasas_readers(tmp_path):
    notes = [note(i + 1, text, intent="ask_causes", triage="urgent")
             for i, text in enumerate(HOSTILE)]
    report = te.Report()
    nlu = read_nlu(te.build_nlu(notes, OFFERED, report))
    expected = {te.one_line(t) for t in HOSTILE}
    assert {m.get("text") for m in nlu.intent_examples} == expected
    path = tmp_path / "triage_cases_h.yml"
    path.write_text(te.build_triage_cases(notes, te.Report()), encoding="utf-8")
    assert {c.turns[0] for c in load_cases(path)} == {te.one_line(t) for t in HOSTILE}
    rows = [event(i + 1, UserUttered(text, {"name": "ask_causes", "confidence": 0.9}))
            for i, text in enumerate(HOSTILE)]
    body = te.build_stories([("hostile", rows)], {}, te.Report())
    domain = Domain.load(str(REPO / "domain.yml"))
    users = [e.text for e in YAMLStoryReader(domain).read_from_string(body)[0].events
             if isinstance(e, UserUttered)]
    assert set(users) == expected
