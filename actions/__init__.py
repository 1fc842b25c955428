"""Rasa custom actions of the Sciaticalm assistant (run by `rasa run actions`)."""
