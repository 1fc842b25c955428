"""Sciaticalm's Rasa input channels, all through one admission pipeline.

- `admission`: the pipeline every channel uses (checks, namespaced ids, limits,
  the cross-replica guard, message_id replay, the same refusals everywhere);
- `rest`: the REST channel of both topologies (Rasa's URL and reply shape);
- `socketio`: Rasa's socket.io channel, mended;
- `partner`: the authenticated partner channel (REST shape, per-partner API keys);
- `callback`: Rasa's callback channel with partner keys in and a bearer token out;
- `telegram`, `twilio`, `facebook`: Rasa's messenger connectors with our markdown,
  buttons and escalation messages degraded for each messenger.
"""
