"""The action server's warm-up plugin (rasa_sdk_plugins/warm_up.py) without a server."""

from __future__ import annotations

from sanic import Sanic

from rasa_sdk_plugins import warm_up
from sciaticalm.content import library


def test_the_plugin_reads_the_content_library_before_the_server_answers() -> None:
    library.cache_clear()
    warm_up.attach_sanic_app_extensions(Sanic("warm_up_test"))
    assert library.cache_info().currsize == 1
    assert library().topics  # the real library, read from content/
