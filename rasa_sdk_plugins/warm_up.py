"""The action server reads content/ while it starts (a rasa_sdk plugin).

Every action reads the content library (sciaticalm.content.library), which
parses the YAML files on first use: about 55 ms that the first visitor after a
start would wait (`make bench-assistant`, docs/performance.md).
"""

from __future__ import annotations

import pluggy
from sanic import Sanic

from sciaticalm.content import library

hookimpl = pluggy.HookimplMarker("rasa_sdk")


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """Load the content library before the server answers."""
    library()
