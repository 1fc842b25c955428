"""Rasa custom actions of the Sciaticalm assistant, run by the SDK alone (no Rasa core)."""


def action_server_command(python: str, port: int) -> list[str]:
    """How every topology starts the action server: the SDK alone (about 40 MB,
    start-up about 2 s), never `rasa run actions`, which imports all of Rasa and
    TensorFlow (690 MB). Procfile writes the same command for `make run`."""
    return [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
