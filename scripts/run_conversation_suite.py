"""Run a conversation suite against an already-running Rasa REST endpoint.

    .venv/bin/python scripts/run_conversation_suite.py --suite tests/conversations/example_suite.yml

Prints the overall and per-category pass rates and writes <out>/<suite>.md (every
failing turn) and <out>/<suite>.json. No gate unless --min-rate is given (then the
exit code is 1 below it). The checks are sciaticalm.conversation_checks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sciaticalm.conversation_checks import (  # noqa: E402
    Send,
    SuiteError,
    load_suite,
    rates_text,
    run_suite,
    write_reports,
)


def rest_sender(url: str, timeout: float) -> Send:
    """send(sender, text) -> replies over Rasa's REST channel."""
    endpoint = url.rstrip("/").removesuffix("/webhooks/rest/webhook") + "/webhooks/rest/webhook"
    session = requests.Session()

    def send(sender: str, text: str) -> list[dict]:
        resp = session.post(endpoint, json={"sender": sender, "message": text}, timeout=timeout)
        resp.raise_for_status()
        return resp.json()

    return send


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5005",
                        help="Rasa server (or its REST webhook) URL")
    parser.add_argument("--suite", type=Path, required=True, action="append",
                        help="suite YAML file (repeatable)")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "conversations")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per turn")
    parser.add_argument("--min-rate", type=float, default=None,
                        help="exit 1 when a suite's pass rate is below this (0..1)")
    args = parser.parse_args()
    try:
        suites = [load_suite(path) for path in args.suite]
    except (OSError, SuiteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = args.url.rstrip("/").removesuffix("/webhooks/rest/webhook")
    try:
        requests.get(f"{base}/", timeout=10).raise_for_status()
    except requests.RequestException as exc:
        print(f"error: no Rasa REST endpoint at {args.url}: {exc}", file=sys.stderr)
        return 2
    send = rest_sender(base, args.timeout)
    below = False
    for suite in suites:
        result = run_suite(suite, send, sender_prefix="cli")
        md, js = write_reports(result, args.out, args.min_rate)
        print(rates_text(result))
        print(f"  report: {md}\n  summary: {js}")
        below |= args.min_rate is not None and result.rate < args.min_rate
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
