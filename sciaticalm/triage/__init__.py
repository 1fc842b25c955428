"""Red-flag triage: deterministic symptom detection and escalation tiers."""

from sciaticalm.triage.detector import Finding, RedFlagDetector, TriageResult, default_detector

__all__ = ["Finding", "RedFlagDetector", "TriageResult", "default_detector"]
