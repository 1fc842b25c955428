"""The dialogue policy that runs in the Rasa server (named in config.yml)."""
