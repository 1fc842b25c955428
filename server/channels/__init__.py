"""Sciaticalm's Rasa input channels and their launcher.

- `channels.partner`: the authenticated partner channel (REST shape, per-partner API keys).
- `channels.callback`: Rasa's callback channel with partner keys in and a bearer token out.
- `channels.telegram`, `channels.twilio`, `channels.facebook`: Rasa's messenger connectors
  with our markdown, buttons and escalation messages degraded for each messenger.
- `channels.launch`: writes the effective credentials/endpoints from the environment and
  starts `rasa run` (a messenger or the event broker whose variables are missing stays off).
"""
