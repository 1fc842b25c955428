"""Event classes looked up once per type name, not once per event.

Rasa 3.6 turns every stored event back into an object through
`Event.resolve_by_type`, which walks all of Event's subclasses (and checks each
for abstract methods) every time: about 0.16 ms per event, so a turn that
loads a window of 120 events spent some 20 ms on it, more than DIET and TED
together (`make profile`). The mapping never changes once a class is found,
so this hook remembers it; an unknown name still goes through Rasa's own
lookup (and its error or default).
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event

_ORIGINAL = Event.__dict__["resolve_by_type"]
_known: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: Any = None) -> type[Event] | None:
    found = _known.get(type_name)
    if found is not None:
        return found
    cls = _ORIGINAL.__func__(type_name, default)
    if cls is not None and getattr(cls, "type_name", None) == type_name:
        _known[type_name] = cls
    return cls


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def uninstall() -> None:
    Event.resolve_by_type = _ORIGINAL  # type: ignore[method-assign]
    _known.clear()
