"""Write the widget's texts that come from content/ into web/src/content.json
(sciaticalm/widget_texts.py says which). Run by `make widget-texts`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sciaticalm.content import library  # noqa: E402
from sciaticalm.widget_texts import merged  # noqa: E402

TARGET = REPO / "web" / "src" / "content.json"


def main() -> None:
    current = json.loads(TARGET.read_text(encoding="utf-8"))
    TARGET.write_text(json.dumps(merged(current, library()), ensure_ascii=False, indent=2)
                      + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)}")


if __name__ == "__main__":
    main()
