"""The conversation suites run against the e2e stack: a real action server and
Rasa server for the session (each conversation uses its own sender id)."""

from tests.e2e.conftest import stack  # noqa: F401  (the session fixture, reused)
