"""Print a Containerfile's instructions as JSON, read by BuildKit's own parser.

    .venv-deploy/bin/python scripts/parse_containerfile.py < Containerfile

Runs in .venv-deploy (requirements-deploy.txt: `dockerfile`, the Go parser of
moby/buildkit in a wheel), so tests/deploy/ reads the recipe exactly as a container
engine would. A file that engine would refuse to parse exits 1 with its error.
"""

from __future__ import annotations

import json
import sys

import dockerfile


def main() -> int:
    try:
        commands = dockerfile.parse_string(sys.stdin.read())
    except dockerfile.GoParseError as e:
        print(f"parse error: {e}", file=sys.stderr)
        return 1
    json.dump([{"cmd": c.cmd.upper(), "value": list(c.value), "json": c.json,
                "flags": list(c.flags), "line": c.start_line} for c in commands], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
