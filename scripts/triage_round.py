"""Measure the red-flag detector on one case file (a blind round) and print the figures.

Usage: PYTHONPATH=. python scripts/triage_round.py tests/triage_cases_blind_r2.yml [--misses]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from testkit.case_files import load_cases, score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="print every wrong case")
    args = parser.parse_args(argv)
    for path in args.files:
        cases = load_cases(path)
        figures = score(cases)
        print(f"{path}: {figures.summary()}")
        if args.misses:
            for case, outcome in figures.wrong:
                print(f"  expected {case.tier:9} got {outcome.describe():28} "
                      f"{case.display[:300]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
