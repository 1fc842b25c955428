"""Turn content items into chat messages (light markdown, no HTML).

Formatting conventions understood by the web widget and readable as plain
text elsewhere: **bold**, lines starting with "- " or "1. " as lists,
[label](url) links, a blank line between messages' paragraphs.
"""

from __future__ import annotations

from typing import Any

from sciaticalm.content import Item, Library, Topic

# Channels whose clients render [label](tel:...) links; elsewhere the number is plain text.
LINK_CHANNELS = {"socketio", "rest", "rasa", "cmdline", None, ""}


def phone(contact: dict[str, Any], channel: str | None) -> str:
    """A phone number as a tel: link where the channel can show one."""
    if channel in LINK_CHANNELS:
        return f"[{contact['display']}](tel:{contact['tel']})"
    return str(contact["display"])


def helpline(lib: Library, channel: str | None) -> str:
    return phone(lib.contact["helpline"], channel)


def fill(text: str, lib: Library, channel: str | None) -> str:
    """Replace {helpline} / {emergency} placeholders in content text."""
    return (text.replace("{helpline}", helpline(lib, channel))
            .replace("{emergency}", phone(lib.contact["emergency"], channel)))


def render_item(item: Item, *, full: bool = True) -> str:
    """One item as a chat message. `full` adds steps, dose, mistakes and tips."""
    lines = [f"**{item.title}**: {item.summary}"]
    if item.detail:
        lines.append(item.detail)
    if item.helps:
        lines.append(f"**What it helps:** {item.helps}")
    if full and item.how_to:
        lines.append("**How to do it:**")
        lines += [f"{i}. {step}" for i, step in enumerate(item.how_to, 1)]
    if full and item.dose:
        lines.append(f"**How long / how many:** {item.dose}")
    if full and item.mistakes:
        lines.append("**Common mistakes:**")
        lines += [f"- {m}" for m in item.mistakes]
    if full and item.tips:
        lines.append("**Tips:**")
        lines += [f"- {t}" for t in item.tips]
    return "\n".join(lines)


def render_brief(item: Item) -> str:
    """A one-line mention of an item, with its dose where it has one."""
    dose = f" ({item.dose})" if item.dose else ""
    return f"- **{item.title}**: {item.summary}{dose}"


def render_overview(topic: Topic, *, detailed: bool = False) -> str:
    """The topic's introduction and a summary of each item (with its detail if asked)."""
    lines = [topic.intro] if topic.intro else [f"**{topic.title}**"]
    for item in topic.items:
        lines.append(render_brief(item))
        if detailed and item.detail:
            lines[-1] += f" {item.detail}"
    return "\n".join(lines)


def item_buttons(topic: Topic, intent: str) -> list[dict[str, str]]:
    """Buttons that ask for one item of the topic in full."""
    return [
        {"title": item.title, "payload": f'/{intent}{{"item": "{item.id}"}}'}
        for item in topic.items
    ]


def escalation_text(level: str, lib: Library, channel: str | None = "socketio") -> str:
    """The escalation message: action first, why in one line, the numbers, the disclaimer.

    domain.yml's `utter_escalate` holds this text verbatim (so it needs no action
    server); tests/unit/test_domain_sync.py keeps the two in step.
    """
    spec = lib.escalation[level]
    lines = [f"**{spec['action']}** {spec['why']}"]
    if level == "emergency":
        lines.append(f"- Emergency: {phone(lib.contact['emergency'], channel)}")
    lines.append(f"- Sciaticalm help line: {helpline(lib, channel)}")
    lines.append(lib.disclaimer["reminder"]["text"])
    return "\n".join(lines)
