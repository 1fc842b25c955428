"""Conversations for the Inbox tests, saved through Rasa's own SQLTrackerStore.

They follow the feedback contract (docs/console.md, "Feedback"): a 👍/👎 is a
`user` event of intent `feedback` with the entities feedback_rating,
feedback_comment and feedback_answer, followed by a `rewind`
(UserUtteranceReverted) and no bot reply. Written beside tests/console/rasa_log.py's
log, so that the other console tests' expectations do not change.
"""

from __future__ import annotations

import asyncio
import json

from rasa.shared.core.events import UserUtteranceReverted, UserUttered
from rasa.shared.core.slots import CategoricalSlot
from rasa.shared.core.trackers import DialogueStateTracker

from tests.console.rasa_log import SLOTS, Script, anchor_now, tracker_store

REVIEW = "inbox-review"
PRIVATE = "inbox-private"
SAFETY = "inbox-safety"
SHOES = "are my old trainers to blame for this"
SHOES_ANSWER = ("Keep an upright posture with relaxed shoulders, land midfoot and do not "
                "overstride.")
NUMB_FOOT = "my left foot keeps going numb on long runs"
PRIVATE_TEXT = "my name is Jane Doe, ring me on 07700 900123"
EMAIL_TEXT = "send the plan to jane.doe@example.com please"
SAFETY_TEXT = "I've had some trouble peeing since my run"
SAFETY_ANSWER = "no it's been like that for years"
INBOX_SLOTS = [*SLOTS, CategoricalSlot("safety_question", mappings=[],
                                       values=["continence", "legs", "chest"])]


def feedback(s: Script, rating: str, answer: str, comment: str | None = None) -> Script:
    """The widget's rating message as the Rasa server records it (with the rewind)."""
    payload = {"feedback_rating": rating, "feedback_answer": answer[:300]}
    if comment is not None:
        payload["feedback_comment"] = comment
    text = "/feedback" + json.dumps(payload)
    entities = [{"entity": k, "value": v} for k, v in payload.items()]
    parse = {"text": text, "intent": {"name": "feedback", "confidence": 1.0},
             "entities": entities, "intent_ranking": [{"name": "feedback", "confidence": 1.0}]}
    s.events.append(UserUttered(text, parse["intent"], entities, parse_data=parse,
                                timestamp=s._t(), input_channel=s.channel))
    s.events.append(UserUtteranceReverted(timestamp=s._t(0.1)))
    return s


def scripts(now: float) -> dict[str, Script]:
    out: dict[str, Script] = {}
    s = Script(now - 100, "socketio").session()
    s.user("hello there", "greet", 0.99).bot("Hi! I help runners with lower back pain.",
                                               "utter_greet")
    s.user("can you show me some exercises", "ask_strengthening", 0.96)
    s.bot("Try these: plank, bridge and bird dog.", "action_strengthening_advice")
    s.user(SHOES, "ask_running_form", 0.41).bot(SHOES_ANSWER, "action_running_form_advice")
    feedback(s, "down", SHOES_ANSWER, "I asked about my shoes")
    s.user(NUMB_FOOT, "ask_training_load", 0.58)
    s.bot("Build up your weekly distance gradually.", "action_training_load_advice")
    s.user("thanks", "thank", 0.99).bot("You're welcome!", "utter_welcome")
    feedback(s, "up", "You're welcome!")
    out[REVIEW] = s

    s = Script(now - 80).session()
    s.user(PRIVATE_TEXT, "out_of_scope", 0.81).bot("I can only help with running and back pain.",
                                                   "action_out_of_scope")
    s.user(EMAIL_TEXT, "nlu_fallback", 0.3).bot("Sorry, I didn't get that.",
                                                "action_two_stage_fallback")
    out[PRIVATE] = s

    s = Script(now - 60).session()
    s.user(SAFETY_TEXT, "safety_check", 1.0, [{"entity": "safety_question",
                                               "value": "continence"}])
    s.slot("safety_question", "continence")
    s.bot("Is this new since your back pain started?", "utter_ask_safety_continence")
    s.user(SAFETY_ANSWER, "safety_clear", 1.0)
    s.bot("Thanks, that's reassuring.", "utter_safety_clear")
    out[SAFETY] = s
    return out


def write_inbox_log(url: str, now: float | None = None) -> None:
    """Add the Inbox conversations to the log at `url`."""
    now = anchor_now() if now is None else now
    store = tracker_store(url)

    async def save_all() -> None:
        for sender, script in scripts(now).items():
            await store.save(DialogueStateTracker.from_events(sender, script.events,
                                                              slots=INBOX_SLOTS))

    asyncio.run(save_all())
    store.engine.dispose()
