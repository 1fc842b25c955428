"""Rasa dialogue policies of the Sciaticalm assistant."""
