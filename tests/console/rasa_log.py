"""A scripted conversation log written through Rasa's own SQLTrackerStore.

Every conversation is a DialogueStateTracker of real Rasa events, saved by
`SQLTrackerStore.save`, so the `events` rows are exactly what Rasa writes.
`EXPECTED` records what each conversation should look like in the console.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import BooleanSlot, CategoricalSlot, ListSlot
from rasa.shared.core.trackers import DialogueStateTracker

DAY = 86_400.0
SLOTS = [
    CategoricalSlot("triage_level", mappings=[], values=["emergency", "urgent"]),
    ListSlot("red_flags", mappings=[]),
    BooleanSlot("assessment_complete", mappings=[], initial_value=False),
]
HTML_TEXT = "<script>alert('pwned')</script><b>bold</b> & my back hurts"
SQL_TEXT = "'; DROP TABLE events; -- 100% sure_thing"


def anchor_now() -> float:
    """A moment today (UTC), at least ten minutes after midnight (maybe a little ahead)."""
    now = time.time()
    midnight = dt.datetime.combine(dt.datetime.now(dt.timezone.utc).date(), dt.time(),
                                   dt.timezone.utc).timestamp()
    return max(midnight + 600, now - 3600)


class Script:
    """Builds the events of one conversation with increasing timestamps."""

    def __init__(self, start: float, channel: str = "rest") -> None:
        self.ts = start
        self.channel = channel
        self.events: list[Event] = []

    def _t(self, step: float = 2.0) -> float:
        self.ts += step
        return self.ts

    def session(self, gap: float = 0.0) -> Script:
        self.ts += gap
        self.events += [ActionExecuted("action_session_start", timestamp=self._t(0.1)),
                        SessionStarted(timestamp=self._t(0.1)),
                        ActionExecuted("action_listen", timestamp=self._t(0.1))]
        return self

    def user(self, text: str, intent: str, confidence: float = 0.97,
             entities: list[dict[str, Any]] | None = None) -> Script:
        ranking = [{"name": intent, "confidence": confidence},
                   {"name": "out_of_scope", "confidence": round((1 - confidence) / 2, 4)}]
        parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
                 "entities": entities or [], "intent_ranking": ranking}
        self.events.append(UserUttered(text, parse["intent"], entities or [], parse_data=parse,
                                       timestamp=self._t(), input_channel=self.channel))
        return self

    def bot(self, text: str, action: str = "utter_answer") -> Script:
        self.events.append(ActionExecuted(action, policy="RulePolicy", confidence=1.0,
                                          timestamp=self._t(0.5)))
        self.events.append(BotUttered(text, {"utter_action": action}, timestamp=self._t(0.1)))
        self.events.append(ActionExecuted("action_listen", timestamp=self._t(0.1)))
        return self

    def action(self, name: str) -> Script:
        self.events.append(ActionExecuted(name, timestamp=self._t(0.2)))
        return self

    def slot(self, name: str, value: Any) -> Script:
        self.events.append(SlotSet(name, value, timestamp=self._t(0.1)))
        return self

    def loop(self, name: str | None) -> Script:
        self.events.append(ActiveLoop(name, timestamp=self._t(0.1)))
        return self


@dataclass
class Expect:
    channel: str
    turns: int
    triage: str | None = None
    red_flags: list[str] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)
    fallback: bool = False
    min_conf: float = 0.97
    assessed: bool = False
    sessions: int = 1
    days_ago: int = 0


def scripts(now: float) -> dict[str, tuple[Script, Expect]]:
    """The scripted log: sender_id -> (events, what the console should show)."""
    out: dict[str, tuple[Script, Expect]] = {}

    s = Script(now - 300).session()
    s.user("hi", "greet").bot("Hi! I help runners with lower back pain.")
    s.user("I went numb between my legs after my run and can't feel the toilet paper",
           "red_flag", 1.0, [{"entity": "red_flag", "value": "saddle_numbness",
                              "start": 0, "end": 10, "extractor": "RedFlagDetector"},
                             {"entity": "triage_level", "value": "emergency",
                              "start": 0, "end": 10, "extractor": "RedFlagDetector"}])
    s.slot("triage_level", "emergency").slot("red_flags", ["saddle_numbness"])
    s.bot("Please call emergency services now.", "utter_escalate")
    s.action("action_escalation_followup").slot("triage_level", "emergency")
    s.slot("red_flags", ["saddle_numbness"])
    out["gen-emergency"] = (s, Expect("rest", 2, "emergency", ["saddle_numbness"],
                                      {"greet", "red_flag"}, min_conf=0.97))

    s = Script(now - 240, "socketio").session()
    s.user("sharp pain shooting down my left leg since yesterday", "red_flag", 1.0,
           [{"entity": "red_flag", "value": "unilateral_leg_symptoms"},
            {"entity": "triage_level", "value": "urgent"}])
    s.slot("triage_level", "urgent").slot("red_flags", ["unilateral_leg_symptoms"])
    s.bot("Please see a doctor within 24 hours.", "utter_escalate")
    s.action("action_escalation_followup")
    out["gen-urgent"] = (s, Expect("socketio", 1, "urgent", ["unilateral_leg_symptoms"],
                                   {"red_flag"}, min_conf=1.0))

    s = Script(now - 200).session()
    s.user("blorp flarn my quads", "nlu_fallback", 0.31)
    s.bot("Sorry, I didn't get that.", "utter_default")
    s.user("what stretches help my hamstrings", "ask_stretching", 0.93)
    s.bot("Try these hamstring stretches.")
    out["gen-fallback"] = (s, Expect("rest", 2, None, [], {"nlu_fallback", "ask_stretching"},
                                     fallback=True, min_conf=0.31))

    s = Script(now - 180, "socketio").session()
    s.user("are my shoes too old maybe", "ask_footwear", 0.42)
    s.bot("Running shoes last about 500-800 km.")
    out["gen-lowconf"] = (s, Expect("socketio", 1, None, [], {"ask_footwear"}, min_conf=0.42))

    s = Script(now - 160).session()
    s.user("can you assess my back pain", "start_assessment", 0.96)
    s.action("assessment_form").loop("assessment_form")
    s.bot("When did the pain start?", "utter_ask_pain_onset")
    s.user("after my long run on sunday", "inform", 0.9,
           [{"entity": "pain_onset", "value": "after_run"}])
    s.action("assessment_form").loop(None)
    s.action("action_assessment_plan").slot("assessment_complete", True)
    s.bot("Here is your plan: reduce mileage by 20% this week.")
    out["gen-assessed"] = (s, Expect("rest", 2, None, [], {"start_assessment", "inform"},
                                     min_conf=0.9, assessed=True))

    s = Script(now - 140).session()
    s.user(HTML_TEXT, "describe_pain", 0.88)
    s.bot("Sorry to hear that.")
    out["gen-html"] = (s, Expect("rest", 1, None, [], {"describe_pain"}, min_conf=0.88))

    s = Script(now - 120).session()
    s.user(SQL_TEXT, "out_of_scope", 0.77)
    s.bot("I can only help with running and back pain.")
    out["gen-sql"] = (s, Expect("rest", 1, None, [], {"out_of_scope"}, min_conf=0.77))

    s = Script(now - 3 * DAY).session()
    s.user("my lower back aches after tempo runs", "describe_pain", 0.95)
    s.bot("That is common after hard efforts.")
    s.session(gap=2 * DAY)
    s.user("hello again, the ache is back", "describe_pain", 0.91)
    s.bot("Welcome back.")
    out["gen-two-sessions"] = (s, Expect("rest", 2, None, [], {"describe_pain"}, min_conf=0.91,
                                         sessions=2, days_ago=1))

    s = Script(now - 400 * DAY).session()
    s.user("does running form matter", "ask_running_form", 0.99)
    s.bot("Yes: cadence and posture matter.")
    out["gen-old"] = (s, Expect("rest", 1, None, [], {"ask_running_form"}, min_conf=0.99,
                                days_ago=400))

    for i in range(6):
        s = Script(now - (i + 2) * DAY, "rest" if i % 2 else "socketio").session()
        s.user(f"how much should I run in week {i}", "ask_training_load", 0.94)
        s.bot("Increase your weekly load by no more than 10%.")
        out[f"gen-filler-{i}"] = (s, Expect("rest" if i % 2 else "socketio", 1, None, [],
                                            {"ask_training_load"}, min_conf=0.94,
                                            days_ago=i + 2))
    return out


def tracker_store(url: str) -> SQLTrackerStore:
    """Rasa's own store on a SQLAlchemy URL (sqlite:///path or postgresql://...)."""
    if url.startswith("sqlite:///"):
        return SQLTrackerStore(dialect="sqlite", db=url[len("sqlite:///"):])
    return SQLTrackerStore(dialect="postgresql", host=url)


def write_log(url: str, now: float | None = None) -> dict[str, Expect]:
    """Save every scripted conversation through SQLTrackerStore; return expectations."""
    now = anchor_now() if now is None else now
    store = tracker_store(url)
    expected: dict[str, Expect] = {}

    async def save_all() -> None:
        for sender, (script, expect) in scripts(now).items():
            tracker = DialogueStateTracker.from_events(sender, script.events, slots=SLOTS)
            await store.save(tracker)
            expected[sender] = expect

    asyncio.run(save_all())
    store.engine.dispose()
    return expected
