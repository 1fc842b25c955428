"""The container recipe, read offline: pinned bases, non-root, no secrets, the pinned
packages through the Makefile's own targets, each image running its process."""

from __future__ import annotations

import re

import pytest

from tests.deploy.containerfile import CONTAINERFILE, REPO, ParseError, parse, violations


def test_the_containerfile_keeps_every_rule() -> None:
    assert violations(CONTAINERFILE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("FROM python:3.10.13-slim-bookworm AS venv", "FROM python:latest AS venv", "pin the base"),
    ("FROM nginxinc/nginx-unprivileged:1.27.3-alpine AS widget",
     "FROM nginxinc/nginx-unprivileged AS widget", "pin the base"),
    ("USER 10001:10001", "USER root", "rasa: runs as root"),
    ("USER 101:101", "USER 0", "widget: runs as root"),
    ('CMD ["rasa"]', 'CMD ["actions"]', "rasa: must run"),
    # Shell form: /bin/sh would stand between Kubernetes' SIGTERM and the process.
    ('CMD ["console"]', "CMD console", "console: must run"),
    ("ENV HOME=/tmp", "ENV HOME=/tmp DB_PASSWORD=hunter2", "looks like a secret"),
    (" -c constraints.txt", "", "no `pip install -r requirements.txt -c constraints.txt`"),
    ("RUN make train", "RUN true", "`make train`"),
    ("EXPOSE 5055", "EXPOSE 5056", "actions: EXPOSE 5055 missing"),
    ("COPY content/ content/", "COPY content/ content/\nCOPY .env ./", "local state or secrets"),
])
def test_a_broken_containerfile_is_rejected(old: str, new: str, expected: str) -> None:
    text = CONTAINERFILE.read_text(encoding="utf-8")
    assert old in text
    found = violations(text.replace(old, new))
    assert any(expected in v for v in found), found


def test_a_containerfile_buildkit_cannot_parse_is_rejected() -> None:
    text = CONTAINERFILE.read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="heredoc"):
        parse(text + "RUN <<EOF\necho never closed\n")


def test_the_pip_commands_are_the_makefiles() -> None:
    """The dependency layer repeats the Makefile's .stamps/venv pip commands (so that
    `make .stamps/venv` finds everything installed): the same pip, files and flags."""
    recipe = (REPO / "Makefile").read_text(encoding="utf-8").split("$(STAMPS)/venv:", 1)[1]
    recipe = recipe.split("\n\n", 1)[0]
    runs = " ".join(r for s in parse(CONTAINERFILE.read_text(encoding="utf-8"))
                    for r in s.args("RUN"))
    for needle in ('"pip==24.3.1"', "-r requirements.txt -c constraints.txt",
                   "--no-deps -r requirements-model.txt"):
        assert needle in recipe and needle in runs, needle


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((REPO / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".env", "var", ".venv", ".git", "models", "**/node_modules"} <= ignored


def test_the_images_are_said_to_be_unbuilt_here() -> None:
    docs = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert re.search(r"not been built", docs)
    assert "NOT been built" in CONTAINERFILE.read_text(encoding="utf-8")
