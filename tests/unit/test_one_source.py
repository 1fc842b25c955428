"""content/contact.yml is the one source of the help line: code fills {helpline}
from it, and every copy that must stand alone (domain.yml's responses, which
reach the visitor when the action server is down; the widget's offline texts;
content texts written out in full) is checked against it here, so changing the
number in content/contact.yml fails this test until every copy follows."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from testkit.servers import REPO

CONTACT = yaml.safe_load((REPO / "content" / "contact.yml").read_text(encoding="utf-8"))
# A UK number written as a display ("02380 248725") or a tel: value ("+442380248725").
DISPLAY = re.compile(r"\b0\d{4} \d{6}\b")
TEL = re.compile(r"\+44\d{10}\b")


def copies() -> list[Path]:
    paths = [REPO / "domain.yml", *sorted((REPO / "web" / "src").glob("*.js")),
             *sorted((REPO / "web" / "public").glob("*.html"))]
    paths += [p for p in sorted((REPO / "content").glob("*.yml")) if p.name != "contact.yml"]
    for package in ("server", "actions", "sciaticalm"):
        paths += sorted((REPO / package).rglob("*.py"))
    return paths


def test_every_written_out_help_line_is_the_one_in_content() -> None:
    display, tel = CONTACT["helpline"]["display"], CONTACT["helpline"]["tel"]
    wrong = []
    for path in copies():
        text = path.read_text(encoding="utf-8")
        wrong += [f"{path.relative_to(REPO)}: {m}" for m in DISPLAY.findall(text) if m != display]
        wrong += [f"{path.relative_to(REPO)}: {m}" for m in TEL.findall(text) if m != tel]
    assert not wrong, wrong


def test_content_writes_the_numbers_out_only_in_contact() -> None:
    """Other content files say {helpline_number}, filled in when the library loads."""
    from sciaticalm.content import library

    written = [p.name for p in sorted((REPO / "content").glob("*.yml"))
               if p.name != "contact.yml" and (DISPLAY.search(p.read_text(encoding="utf-8"))
                                               or TEL.search(p.read_text(encoding="utf-8")))]
    assert written == [], written
    lib = library()
    display = CONTACT["helpline"]["display"]
    assert display in lib.escalation["urgent"]["action"]
    assert display in lib.topic("professional_help").intro
    assert all("_number}" not in item.detail for item in lib.topic("professional_help").items)


def test_code_never_writes_the_help_line_out() -> None:
    display = CONTACT["helpline"]["display"]
    written = [str(p.relative_to(REPO)) for p in copies()
               if p.suffix == ".py" and display in "\n".join(
                   line for line in p.read_text(encoding="utf-8").splitlines()
                   if not line.lstrip().startswith("#"))]
    assert written == [], written


def test_the_widget_texts_are_built_from_content() -> None:
    """web/src/content.json's disclaimer and fallback numbers are content/'s
    (`make widget-texts` writes them; this fails until it has run)."""
    import json

    from sciaticalm.content import library
    from sciaticalm.widget_texts import OWNED_KEYS, widget_texts

    current = json.loads((REPO / "web" / "src" / "content.json").read_text(encoding="utf-8"))
    expected = widget_texts(library())
    assert {k: current.get(k) for k in OWNED_KEYS} == expected
    assert "02380" not in (REPO / "web" / "src" / "messages.js").read_text(encoding="utf-8")
