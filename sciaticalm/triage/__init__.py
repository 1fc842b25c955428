"""Red-flag triage: deterministic symptom detection and escalation tiers.

The detector (spaCy) is imported on first use, so that importing a light part of the
package (`outcome`, used by the action server) does not load spaCy and its pipeline."""

from __future__ import annotations

from typing import Any

__all__ = ["Finding", "RedFlagDetector", "TriageResult", "default_detector"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sciaticalm.triage import detector

        return getattr(detector, name)
    raise AttributeError(f"module 'sciaticalm.triage' has no attribute {name!r}")
