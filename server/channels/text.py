"""Degrade the bot's light markdown for channels that cannot show it.

The assistant writes **bold**, "- " / "1. " list lines and [label](url) links
(the help line as [<display>](tel:<number>), from content/contact.yml). Messengers get:

- plain text (SMS, WhatsApp, Messenger): bold markers dropped, a tel: link
  becomes its label (phones link numbers themselves), a web link "label (url)";
- Telegram HTML: <b>bold</b>, web links as <a href>, tel: links as their label
  (Telegram's API does not accept tel: links; its apps link phone numbers);
- buttons as numbered options in the text, for channels without buttons.
"""

from __future__ import annotations

import html
import re
from typing import Any

LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*(.+?)\*\*")


def _plain_link(match: re.Match[str]) -> str:
    label, url = match.group(1), match.group(2)
    if url.startswith("tel:") or url == label:
        return label
    return f"{label} ({url})"


def to_plain(text: str) -> str:
    """Markdown to plain text (links to labels, no bold markers)."""
    return BOLD.sub(r"\1", LINK.sub(_plain_link, text))


def to_telegram_html(text: str) -> str:
    """Markdown to Telegram's HTML parse mode (escaped, <b> and <a> only)."""
    parts: list[str] = []
    last = 0
    for match in LINK.finditer(text):
        parts.append(_bold_html(text[last:match.start()]))
        label, url = match.group(1), match.group(2)
        if url.startswith("tel:"):
            parts.append(_bold_html(label))
        else:
            parts.append(f'<a href="{html.escape(url)}">{_bold_html(label)}</a>')
        last = match.end()
    parts.append(_bold_html(text[last:]))
    return "".join(parts)


def _bold_html(text: str) -> str:
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def numbered_options(buttons: list[dict[str, Any]], start: int = 1) -> str:
    """Buttons as numbered lines: "1. Likely causes"."""
    return "\n".join(f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start))


def is_internal_custom(custom: Any) -> bool:
    """Our widget-only custom payload ({"sciaticalm": {...}}): messengers skip it."""
    return isinstance(custom, dict) and set(custom) == {"sciaticalm"}


def chunks(text: str, limit: int) -> list[str]:
    """Split a message into parts of at most `limit` characters: at blank lines
    first (as Rasa's connectors do), then at line ends, then anywhere."""
    parts: list[str] = []
    for paragraph in text.strip().split("\n\n"):
        current = ""
        for line in paragraph.split("\n"):
            while len(line) > limit:
                if current:
                    parts.append(current)
                    current = ""
                parts.append(line[:limit])
                line = line[limit:]
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) > limit:
                parts.append(current)
                candidate = line
            current = candidate
        if current:
            parts.append(current)
    return parts
