"""Validate Kubernetes manifests against the API schemas, offline and strictly.

    .venv-deploy/bin/python scripts/validate_manifests.py [-k 1.33.0 ...] FILE...

Runs in .venv-deploy (requirements-deploy.txt: kubernetes-validate ships the schemas).
Stricter than the `kubernetes-validate` command, which only warns, and exits 0, for a
kind or apiVersion it has no schema for (a misspelt `apps/v2` would pass): here that
fails, as does a document without apiVersion, kind or metadata.name, and (strict mode)
any field the schema does not know. Exit 0 only when every document is valid for every
version.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from kubernetes_validate import utils

#: An older Kubernetes minor version still offered by managed services (extended support), and the
#: newest in the pinned package.
VERSIONS = ("1.33.0", "1.37.0")


def problems(doc: object, version: str) -> list[str]:
    """What is wrong with one YAML document for one Kubernetes version (empty: valid)."""
    if not isinstance(doc, dict):
        return ["not a mapping"]
    missing = [key for key in ("apiVersion", "kind") if not doc.get(key)]
    if missing or not (doc.get("metadata") or {}).get("name"):
        return [f"missing {', '.join(missing) or 'metadata.name'}"]
    try:
        utils.validate(doc, version, strict=True)
    except utils.ValidationError as e:
        path = ".".join(str(p) for p in e.path) or "(top)"
        return [f"{path}: {e.message}"]
    except utils.SchemaNotFoundError as e:
        return [e.message]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", "--kubernetes-version", action="append", dest="versions")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = checked = 0
    for path in args.files:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        if not docs:
            print(f"FAIL {path}: no documents")
            failed += 1
        for doc in docs:
            name = (f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
                    if isinstance(doc, dict) else "?")
            for version in args.versions or VERSIONS:
                checked += 1
                for problem in problems(doc, version):
                    print(f"FAIL {path} {name} (Kubernetes {version}): {problem}")
                    failed += 1
    print(f"{checked} document checks, {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
