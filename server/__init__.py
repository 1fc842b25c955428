"""Everything that runs inside the Rasa server process, and the one way to start it.

- `python -m server` (server/launch.py): the entry point of both topologies;
- `server.channels`: every input channel and the admission pipeline they share;
- `server.runtime`: the hooks installed into Rasa before it starts.

The NLU components and the policy named in config.yml still live in
`sciaticalm.nlu` and `sciaticalm.dialogue` (moving them changes the trained
model's recipe, see the README's layout table).
"""
