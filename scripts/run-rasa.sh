#!/usr/bin/env bash
# Start the Rasa server with the channels and the event broker that the environment
# switches on (channels/launch.py writes var/*.effective.yml, then runs `rasa run`).
# Any arguments go to `rasa run`. See docs/integrations.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m channels.launch --credentials credentials.yml \
  --endpoints endpoints.yml --out var -- "$@"
