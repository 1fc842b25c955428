"""The escalation tiers and their order: one table for the detector, the conversation log's
readers (staff console, conversation suites) and the actions (pure, no dependencies)."""

from __future__ import annotations

TIER_RANK = {"urgent": 1, "emergency": 2}


def tier_rank(level: str | None) -> int:
    """0 for no escalation (None, "none" or anything unknown), else the tier's rank."""
    return TIER_RANK.get(level or "", 0)
