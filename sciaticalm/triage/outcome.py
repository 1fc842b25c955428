"""Combine triage outcomes across a conversation (pure logic)."""

from __future__ import annotations

from sciaticalm.tiers import TIER_RANK


def merge_outcome(
    previous_level: str | None,
    previous_signs: list[str],
    level: str | None,
    signs: list[str],
) -> tuple[str | None, list[str]]:
    """Keep the highest level seen and the union of all signs, in order of appearance."""
    candidates = [x for x in (previous_level, level) if x in TIER_RANK]
    merged_level = max(candidates, key=TIER_RANK.__getitem__) if candidates else None
    merged_signs: list[str] = []
    for sign in [*previous_signs, *signs]:
        if sign not in merged_signs:
            merged_signs.append(sign)
    return merged_level, merged_signs
