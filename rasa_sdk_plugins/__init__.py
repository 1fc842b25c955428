"""Plugins of the action server (`python -m rasa_sdk --actions actions`).

rasa_sdk 3.6 imports a top-level package named `rasa_sdk_plugins` when it starts
(rasa_sdk/plugin.py) and calls its `init_hooks(manager)`; the hooks registered
there run with the Sanic app before it serves (`attach_sanic_app_extensions`).
The plugins: `metrics` (GET /metrics and the action counters) and `warm_up`
(the content library is read before the server answers). Only light modules are
imported (no Rasa, spaCy or TensorFlow: tests/unit/test_layout.py).
"""

from __future__ import annotations

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Register the action server's plugins (called by rasa_sdk.plugin)."""
    from rasa_sdk_plugins import metrics, warm_up

    manager.register(metrics)
    manager.register(warm_up)
