"""Rasa NLU graph components of the Sciaticalm assistant."""
