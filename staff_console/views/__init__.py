"""Blueprints: auth, conversations, overview, admin."""
