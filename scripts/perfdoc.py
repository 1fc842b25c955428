"""Write one benchmark's section of docs/performance.md, leaving the others intact."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def write_section(name: str, title: str, body: str, doc: Path = DOC) -> None:
    """Replace the text between `<!-- bench:NAME:begin/end -->` (or append it)."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    doc.parent.mkdir(exist_ok=True)
    text = doc.read_text() if doc.exists() else "# Performance\n"
    block = f"{begin}\n## {title}\n\n{body}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: block, text,
                      flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)
