"""The conversation-suite checker on hand-made replies (no server).

The recognised texts (refusal, fallback, disclaimer, escalation) come from the
project's sources, so the replies here are built from those sources too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from sciaticalm.content import library
from sciaticalm.conversation_checks import (
    CHECK_KEYS,
    SuiteError,
    escalation_level,
    find_button,
    judge_turn,
    load_gates,
    load_suite,
    parse_suite,
    project_texts,
    run_conversation,
    run_suite,
    visible,
    write_reports,
)
from sciaticalm.render import escalation_text, fill

REPO = Path(__file__).resolve().parents[2]
LIB = library()
DOMAIN = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))


def domain_text(response: str) -> str:
    return DOMAIN["responses"][response][0]["text"]


DISCLAIMER = fill(LIB.disclaimer["full"]["text"], LIB, "rest")
REMINDER = LIB.disclaimer["reminder"]["text"]
SCOPE = {"text": fill(LIB.menu["scope"]["text"], LIB, "rest"),
         "buttons": [{"title": t["label"], "payload": t["payload"]}
                     for t in LIB.menu["topics"][:6]]}
DEFAULT = {"text": domain_text("utter_default"),
           "buttons": [{"title": "Show topics", "payload": "/ask_capabilities"}]}
REPHRASE = {"text": domain_text("utter_ask_rephrase")}
DID_YOU_MEAN = {"text": domain_text("utter_did_you_mean"),
                "buttons": [{"title": "Stretches", "payload": "/ask_stretching"},
                            {"title": "Something else", "payload": "/out_of_scope"}]}
STRETCH = {"text": "**Hamstring stretch**: Lie on your back and hold for [30 seconds](x)."}
EMERGENCY = {"text": escalation_text("emergency", LIB, "rest"),
             "custom": {"sciaticalm": {"kind": "escalation", "level": "emergency"}}}
URGENT = {"text": escalation_text("urgent", LIB, "rest"),
          "custom": {"sciaticalm": {"kind": "escalation", "level": "urgent"}}}
GREETING = {"text": domain_text("utter_greet"),
            "buttons": DOMAIN["responses"]["utter_greet"][0]["buttons"]}


def results(replies: list[dict], expect: dict, **kwargs: object) -> dict[str, bool]:
    return {r.check: r.passed for r in judge_turn(replies, expect, **kwargs)}


def suite(turns: list[dict], category: str = "statement") -> dict:
    return {"conversations": [{"name": "c", "category": category, "turns": turns}]}


# ------------------------------------------------------------------ texts
def test_recognised_texts_come_from_domain_and_content() -> None:
    texts = project_texts()
    assert visible(LIB.menu["scope"]["text"]) in texts.refusals
    assert visible(domain_text("utter_default")) in texts.refusals
    assert visible(domain_text("utter_ask_rephrase")) in texts.fallbacks
    assert visible(domain_text("utter_did_you_mean")) in texts.fallbacks
    assert visible(LIB.disclaimer["full"]["text"]) in texts.disclaimers
    assert texts.escalation_text["emergency"] == LIB.escalation["emergency"]["action"]


def test_visible_strips_markdown_links_bold_and_case() -> None:
    assert visible("**Call** [02380 248725](tel:+442380248725)\n now\u2019s") == \
        "call 02380 248725 now's"


# ------------------------------------------------------------------ says_*
def test_says_any_all_none() -> None:
    replies = [{"text": "Intro"}, STRETCH]
    assert results(replies, {"says_any": ["plank", "hamstring"]}) == {"says_any": True}
    assert results(replies, {"says_any": ["plank", "bridge"]}) == {"says_any": False}
    # a list item is any of its alternatives; matching sees link labels, not URLs
    assert results(replies, {"says_all": ["hamstring", ["sec", "minute"], "30 seconds"]}) \
        == {"says_all": True}
    assert results(replies, {"says_all": ["hamstring", ["plank", "bridge"]]}) \
        == {"says_all": False}
    assert results(replies, {"says_none": ["tel:", "plank"]}) == {"says_none": True}
    assert results(replies, {"says_none": ["HAMSTRING"]}) == {"says_none": False}


def test_failed_checks_give_a_reason() -> None:
    [res] = judge_turn([STRETCH], {"says_all": ["hamstring", ["plank", "bridge"]]})
    assert not res.passed and "plank" in res.reason
    [res] = judge_turn([STRETCH], {"max_chars": 10})
    assert not res.passed and "(max 10)" in res.reason


def test_max_chars_counts_visible_text_of_all_messages() -> None:
    length = len(visible(STRETCH["text"])) + len("intro")
    assert results([{"text": "Intro"}, STRETCH], {"max_chars": length}) == {"max_chars": True}
    assert results([{"text": "Intro"}, STRETCH], {"max_chars": length - 1}) \
        == {"max_chars": False}


# ------------------------------------------------------------------ refusal
@pytest.mark.parametrize("reply", [SCOPE, DEFAULT])
def test_scope_refusal(reply: dict) -> None:
    assert results([reply], {"refusal": True, "not_refusal": True}) == \
        {"refusal": True, "not_refusal": False}


@pytest.mark.parametrize("reply", [REPHRASE, DID_YOU_MEAN])
def test_fallbacks_are_not_refusals_but_fail_not_refusal(reply: dict) -> None:
    assert results([reply], {"refusal": True, "not_refusal": True}) == \
        {"refusal": False, "not_refusal": False}


def test_an_answer_is_neither() -> None:
    assert results([STRETCH], {"refusal": True, "not_refusal": True}) == \
        {"refusal": False, "not_refusal": True}
    assert results([STRETCH], {"refusal": False}) == {"refusal": True}


# ------------------------------------------------------------------ disclaimer
def test_disclaimer_this_turn_earlier_or_never() -> None:
    assert results([{"text": DISCLAIMER}, STRETCH], {"disclaimer_shown": True}) \
        == {"disclaimer_shown": True}
    assert results([URGENT], {"disclaimer_shown": True}) == {"disclaimer_shown": True}
    assert results([STRETCH], {"disclaimer_shown": True}, disclaimer_before=True) \
        == {"disclaimer_shown": True}
    assert results([STRETCH], {"disclaimer_shown": True}) == {"disclaimer_shown": False}
    assert results([STRETCH], {"disclaimer_shown": False}) == {"disclaimer_shown": True}
    # the bot-identity text alone is not the disclaimer
    identity = fill(LIB.disclaimer["bot_identity"]["text"], LIB, "rest")
    assert results([{"text": identity}], {"disclaimer_shown": True}) \
        == {"disclaimer_shown": False}


# ------------------------------------------------------------------ escalation
def test_escalation_level_by_payload_or_text() -> None:
    assert escalation_level([EMERGENCY]) == "emergency"
    assert escalation_level([{"text": EMERGENCY["text"]}]) == "emergency"
    assert escalation_level([{"text": URGENT["text"]}]) == "urgent"
    assert escalation_level([{"text": "x", "custom": URGENT["custom"]}]) == "urgent"
    assert escalation_level([STRETCH, {"custom": {"other": 1}}]) is None


def test_escalates_at_its_level_or_higher_and_none_means_none() -> None:
    assert results([EMERGENCY], {"escalates": "emergency"}) == {"escalates": True}
    assert results([URGENT], {"escalates": "emergency"}) == {"escalates": False}
    assert results([EMERGENCY], {"escalates": "urgent"}) == {"escalates": True}
    assert results([STRETCH], {"escalates": "urgent"}) == {"escalates": False}
    assert results([STRETCH], {"escalates": "none"}) == {"escalates": True}
    assert results([URGENT], {"escalates": "none"}) == {"escalates": False}


# ------------------------------------------------------------------ buttons
def test_buttons_any_and_find_button() -> None:
    assert results([GREETING], {"buttons_any": ["root cause"]}) == {"buttons_any": True}
    assert results([GREETING], {"buttons_any": ["shoes"]}) == {"buttons_any": False}
    assert results([STRETCH], {"buttons_any": ["x"]}) == {"buttons_any": False}
    assert find_button([GREETING], "ROOT CAUSE")["payload"] == "/start_assessment"
    assert find_button([DID_YOU_MEAN], "something")["payload"] == "/out_of_scope"
    assert find_button([STRETCH], "anything") is None


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("data, message", [
    (suite([{"say": "hi", "expect": {"says_any": ["a"], "sayz": ["b"]}}]), "sayz"),
    (suite([{"say": "hi", "says_any": ["a"]}]), "under `expect:`"),
    (suite([{"say": "hi", "click": "x"}]), "exactly one of"),
    (suite([{"expect": {}}]), "exactly one of"),
    (suite([{"say": "hi"}], category="chitchat"), "category must be one of"),
    (suite([{"say": "hi", "expect": {"escalates": "high"}}]), "escalates"),
    (suite([{"say": "hi", "expect": {"says_any": [False]}}]), "quote it"),
    (suite([{"say": "hi", "expect": {"refusal": "yes"}}]), "true or false"),
    (suite([{"say": "hi", "expect": {"max_chars": 0}}]), "positive integer"),
    (suite([{"say": "hi", "expect": {"says_all": [[]]}}]), "empty list"),
    ({"conversations": [{"name": "c", "category": "long", "turns": [], "x": 1}]}, "'x'"),
    ({"conversations": []}, "non-empty"),
    ({"convos": []}, "unknown top-level"),
])
def test_invalid_suites_are_rejected_clearly(data: dict, message: str) -> None:
    with pytest.raises(SuiteError, match=re.escape(message)):
        parse_suite(data)


def test_valid_suite_normalises_values() -> None:
    parsed = parse_suite(suite([
        {"say": 999, "expect": {"says_any": "call", "escalates": None}},
        {"click": "Yes"},
    ]))
    first, second = parsed.conversations[0].turns
    assert first.say == "999" and first.expect == {"says_any": ["call"], "escalates": "none"}
    assert second.click == "Yes" and second.expect == {}


def test_every_check_key_is_used_by_the_example_suite() -> None:
    example = load_suite(REPO / "tests" / "conversations" / "example_suite.yml")
    used = {k for c in example.conversations for t in c.turns for k in t.expect}
    assert used == set(CHECK_KEYS)
    assert {c.category for c in example.conversations} >= {"statement", "redflag", "assessment"}


def test_gates_file() -> None:
    gates = load_gates(REPO / "tests" / "conversations" / "gates.yml")
    assert gates and all(0 <= g <= 1 for g in gates.values())


def test_bad_gate(tmp_path: Path) -> None:
    (tmp_path / "gates.yml").write_text("x.yml: 95\n")
    with pytest.raises(SuiteError, match="0..1"):
        load_gates(tmp_path / "gates.yml")


# ------------------------------------------------------------------ running
class FakeBot:
    """Answers from a table, records what was sent."""

    def __init__(self, answers: dict[str, list[dict]]) -> None:
        self.answers, self.sent = answers, []

    def __call__(self, sender: str, text: str) -> list[dict]:
        self.sent.append((sender, text))
        if text == "boom":
            raise ConnectionError("server down")
        return self.answers.get(text, [REPHRASE])


def test_click_sends_payload_and_disclaimer_carries_over() -> None:
    bot = FakeBot({"hi": [GREETING], "/start_assessment": [{"text": DISCLAIMER}],
                   "stretches": [STRETCH]})
    conv = parse_suite(suite([
        {"say": "hi", "expect": {"buttons_any": ["root cause"]}},
        {"click": "root cause", "expect": {"disclaimer_shown": True}},
        {"say": "stretches", "expect": {"disclaimer_shown": True, "says_any": ["hamstring"]}},
    ])).conversations[0]
    result = run_conversation(conv, bot, "s1")
    assert [t for _, t in bot.sent] == ["hi", "/start_assessment", "stretches"]
    assert result.passed and len(result.checks) == 5  # incl. the click itself
    assert {s for s, _ in bot.sent} == {"s1"}


def test_missing_button_and_send_errors_fail_their_turn() -> None:
    bot = FakeBot({"hi": [STRETCH]})
    conv = parse_suite(suite([
        {"say": "hi"},
        {"click": "root cause", "expect": {"says_any": ["x"]}},
        {"say": "boom", "expect": {"not_refusal": True}},
        {"say": "hi", "expect": {"says_any": ["hamstring"]}},
    ])).conversations[0]
    result = run_conversation(conv, bot, "s2")
    assert [t for _, t in bot.sent] == ["hi", "boom", "hi"]  # the failed click sent nothing
    assert [(c.check, c.passed) for c in result.checks] == [
        ("click", False), ("says_any", False), ("not_refusal", False), ("says_any", True)]
    assert "ConnectionError" in result.turns[2].error


def test_suite_rates_reports_and_fresh_senders(tmp_path: Path) -> None:
    bot = FakeBot({"hi": [GREETING], "weather?": [SCOPE], "numb both legs": [EMERGENCY]})
    data = {"conversations": [
        {"name": "greet", "category": "smalltalk",
         "turns": [{"say": "hi", "expect": {"not_refusal": True, "max_chars": 400}}]},
        {"name": "weather", "category": "statement",
         "turns": [{"say": "weather?", "expect": {"refusal": True, "says_any": ["sunny"]}}]},
        {"name": "flag", "category": "redflag",
         "turns": [{"say": "numb both legs", "expect": {"escalates": "emergency"}}]},
    ]}
    result = run_suite(parse_suite(data, name="fake"), bot)
    assert len({s for s, _ in bot.sent}) == 3
    assert result.counts() == (4, 5) and result.rate == pytest.approx(0.8)
    cats = result.by_category()
    assert cats["statement"]["rate"] == 0.5 and cats["smalltalk"]["rate"] == 1.0
    md, js = write_reports(result, tmp_path, gate=0.9)
    summary = json.loads(js.read_text())
    assert summary["rate"] == 0.8 and summary["gate"] == 0.9
    assert summary["failures"] == [{"conversation": "weather", "category": "statement",
                                    "turn": 1, "visitor": "weather?", "check": "says_any",
                                    "reason": "none of ['sunny'] in the reply"}]
    report = md.read_text()
    assert "“weather?”" in report and "`says_any`" in report
    assert LIB.menu["scope"]["text"] in report and "[Running form]" in report
    assert "### greet" not in report  # only failing conversations are written out
