"""Scripted visitor conversations against the real servers, gated on the pass rate.

Runs every suite listed in tests/conversations/gates.yml (only those), each
conversation with a fresh sender id, and judges only what the visitor sees
(sciaticalm.conversation_checks). Writes results/conversations/<suite>.md (a
transcript of every failing turn) and <suite>.json (pass rates per category),
then asserts the suite's pass rate reaches its gate.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sciaticalm.conversation_checks import (
    load_gates,
    load_suite,
    rates_text,
    run_suite,
    write_reports,
)
from testkit.servers import Stack

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUT = REPO / "results" / "conversations"
GATES = load_gates(HERE / "gates.yml")


@pytest.mark.e2e
@pytest.mark.parametrize("suite_file", sorted(GATES))
def test_suite_reaches_its_gate(stack: Stack, suite_file: str) -> None:
    gate = GATES[suite_file]
    suite = load_suite(HERE / suite_file)
    result = run_suite(suite, lambda sender, text: stack.say(sender, text, timeout=120),
                       sender_prefix="suite")
    md, _ = write_reports(result, OUT, gate)
    print(rates_text(result))
    assert result.rate >= gate, (
        f"{suite_file}: pass rate {result.rate:.1%} below the gate {gate:.1%}; "
        f"failing turns in {md.relative_to(REPO)}\n{rates_text(result)}"
    )
