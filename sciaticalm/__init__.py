"""Sciaticalm assistant: pure logic (content, triage, plan) independent of Rasa."""
