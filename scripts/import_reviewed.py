"""Merge a staff-console training export into the repository (`make import-reviewed DIR=...`).

Reads DIR/nlu.yml, DIR/triage_cases.yml and DIR/test_stories.yml (what
`python -m staff_console export-training --out DIR` writes; DIR may also be the
Inbox's zip download itself) and merges them into data/nlu/reviewed.yml,
tests/triage_cases_reviewed.yml and tests/test_stories.yml, deduplicated and
sorted (staff_console/reviewed_import.py), then prints what was added. Then:
retrain, run the gates, commit (docs/console.md, "From review to the assistant").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

from staff_console import reviewed_import as ri
from staff_console.training_export import NLU_FILE, STORIES_FILE, TRIAGE_FILE

REPO = Path(__file__).resolve().parents[1]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def run(export_dir: Path, repo: Path) -> ri.Merge:
    merge = ri.Merge()
    missing = [n for n in (NLU_FILE, TRIAGE_FILE, STORIES_FILE) if not (export_dir / n).exists()]
    if missing:
        raise ri.ImportError_(f"{export_dir} has no {', '.join(missing)}")
    reviewed_nlu = repo / "data" / "nlu" / "reviewed.yml"
    others = [_read(p) for p in sorted((repo / "data" / "nlu").glob("*.yml"))
              if p != reviewed_nlu]
    nlu = ri.merge_nlu(_read(export_dir / NLU_FILE), _read(reviewed_nlu), others, merge)
    reviewed_cases = repo / "tests" / "triage_cases_reviewed.yml"
    case_files = [_read(p) for p in sorted((repo / "tests").glob("triage_cases*.yml"))
                  if p != reviewed_cases]
    cases = ri.merge_triage(_read(export_dir / TRIAGE_FILE), _read(reviewed_cases),
                            case_files, merge)
    stories_path = repo / "tests" / "test_stories.yml"
    stories = ri.merge_stories(_read(export_dir / STORIES_FILE), _read(stories_path), merge)
    if merge.added["nlu"]:
        reviewed_nlu.write_text(nlu, encoding="utf-8")
    if merge.added["triage"]:
        reviewed_cases.write_text(cases, encoding="utf-8")
    if merge.added["stories"]:
        stories_path.write_text(stories, encoding="utf-8")
    return merge


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("export_dir", type=Path)
    p.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        if zipfile.is_zipfile(args.export_dir):
            with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(args.export_dir) as zf:
                for name in (NLU_FILE, TRIAGE_FILE, STORIES_FILE):
                    if name in zf.namelist():  # only the three files, never other paths
                        (Path(tmp) / name).write_bytes(zf.read(name))
                merge = run(Path(tmp), args.repo)
        else:
            merge = run(args.export_dir, args.repo)
    except (ri.ImportError_, OSError, ValueError, zipfile.BadZipFile) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(merge.summary())
    print("next: make train, make test (the gates), then commit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
