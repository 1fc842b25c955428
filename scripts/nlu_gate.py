"""Fail when the intent classifier's macro-F1 on the held-out set is too low.

Reads the intent report written by `rasa test nlu` (results/nlu/intent_report.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Aggregate rows in Rasa's report, not intents.
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path)
    parser.add_argument("--min-macro-f1", type=float, required=True)
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    macro = float(report["macro avg"]["f1-score"])
    worst = sorted(
        ((k, v["f1-score"], v.get("support", 0)) for k, v in report.items()
         if k not in NOT_INTENTS and isinstance(v, dict)),
        key=lambda row: row[1],
    )
    print(f"NLU gate: intent macro-F1 {macro:.3f} (minimum {args.min_macro_f1:.2f})")
    for name, f1, support in worst[:5]:
        print(f"  weakest: {name:<24} F1 {f1:.3f}  ({support} examples)")
    if macro < args.min_macro_f1:
        print("NLU gate FAILED")
        return 1
    print("NLU gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
