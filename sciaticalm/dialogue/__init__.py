"""Pure dialogue logic: the order of the escalation steps (server/dialogue/red_flag_policy.py
applies it inside Rasa)."""
