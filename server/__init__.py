"""Everything that runs inside the Rasa server process, and the one way to start it.

- `python -m server` (server/launch.py): the entry point of both topologies;
- `server.channels`: every input channel and the admission pipeline they share;
- `server.nlu`, `server.dialogue`: the NLU components and the policy config.yml names;
- `server.runtime`: the hooks installed into Rasa before it starts.

The logic they apply is pure and lives in `sciaticalm/` (no Rasa import there).
"""
