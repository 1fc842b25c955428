"""The review loop in Debian's chromium (Playwright) against `python -m staff_console serve`,
then the export through Rasa's own tools.

A reviewer finds the 👎-rated answer in the Inbox, corrects its intent, marks another
message as a missed urgent sign and saves the conversation as a test; an admin
downloads the export. Its three files are read with Rasa's readers and the gate's
loader; `make import-reviewed`'s script merges them into a copy of the repository's
data and tests, where `rasa data validate` passes and `rasa test core` runs the
saved story against the trained model (models/sciaticalm.tar.gz). The Rasa part runs
once (on the SQLite database: the export is the same on both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from testkit.case_files import load_cases
from tests.console.conftest import ADMIN, REVIEWER, Env, build_inbox_env, serve_console
from tests.console.inbox_log import NUMB_FOOT, REVIEW, SHOES
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO

MODEL = REPO / "models" / "sciaticalm.tar.gz"
RASA = Path(sys.executable).with_name("rasa")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request, databases, tmp_path) -> Iterator[tuple[Env, str]]:
    yield from serve_console(build_inbox_env, request, databases, tmp_path)


def sign_in(page, url: str, user: tuple[str, str]) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()


def review_and_export(url: str, backend: str, out: Path) -> Path:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            sign_in(page, url, REVIEWER)
            page.get_by_role("link", name="Inbox", exact=True).click()
            expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
            conv = page.get_by_role("region", name=f"Conversation {REVIEW}")
            rated = conv.get_by_role("article").filter(has_text="I asked about my shoes")
            expect(rated).to_contain_text(SHOES)
            expect(rated).to_contain_text("👎 feedback")
            rated.get_by_label("Intent").select_option("ask_footwear")
            rated.get_by_role("button", name="Save annotation").click()
            expect(page.locator(".flash")).to_contain_text("Annotation saved.")
            expect(rated).to_contain_text("intent ask_footwear corrected")

            conv.get_by_text("Other visitor messages in this conversation").click()
            missed = conv.get_by_role("article").filter(has_text=NUMB_FOOT)
            missed.get_by_label("Warning sign").select_option(label="missed urgent sign")
            missed.get_by_role("button", name="Save annotation").click()
            expect(page.locator(".flash")).to_contain_text("Annotation saved.")

            conv.get_by_role("button", name="Save as test").click()
            expect(page.locator(".flash")).to_contain_text("Saved as a test conversation.")
            expect(conv.locator(".badge.ok")).to_have_text("saved as test")
            expect(page.get_by_role("button", name="Download training export (zip)")
                   ).to_have_count(0)  # reviewers do not export
            page.screenshot(path=str(ARTIFACTS / f"inbox-{backend}.png"), full_page=True)
            page.get_by_role("button", name="Sign out").click()

            sign_in(page, url, ADMIN)
            page.get_by_role("link", name="Inbox", exact=True).click()
            with page.expect_download() as download:
                page.get_by_role("button", name="Download training export (zip)").click()
            path = out / "export.zip"
            download.value.save_as(path)
        finally:
            browser.close()
    return path


def rasa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(RASA), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_review_export_import_validate_and_run(served, tmp_path):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    env, url = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    export = tmp_path / "export"
    zipfile.ZipFile(review_and_export(url, env.backend, tmp_path)).extractall(export)

    nlu = RasaYAMLReader().read(export / "nlu.yml")
    assert [(m.get("intent"), m.get("text")) for m in nlu.intent_examples] == [
        ("ask_footwear", SHOES)]
    cases = load_cases(export / "triage_cases.yml")
    assert [(c.turns, c.tier) for c in cases] == [((NUMB_FOOT,), "urgent")]
    domain = Domain.load(str(REPO / "domain.yml"))
    stories = YAMLStoryReader(domain).read_from_file(export / "test_stories.yml")
    assert len(stories) == 1
    if env.backend != "sqlite":
        return
    if not MODEL.exists():
        pytest.fail(f"{MODEL} missing: `make train` first (make test-console does)")

    # A copy of the repository's data and tests, with the export merged in.
    project = tmp_path / "project"
    shutil.copytree(REPO / "data", project / "data")
    (project / "tests").mkdir()
    for name in ("test_stories.yml", *[p.name for p in (REPO / "tests").glob("triage_cases*.yml")]):
        shutil.copy(REPO / "tests" / name, project / "tests" / name)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(REPO / name, project / name)
    merged = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "import_reviewed.py"), str(export),
         "--repo", str(project)], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert merged.returncode == 0, merged.stderr
    assert "added 1 NLU examples, 1 triage cases, 1 test stories" in merged.stdout
    reviewed = yaml.safe_load((project / "data" / "nlu" / "reviewed.yml").read_text())
    assert reviewed["nlu"] == [{"intent": "ask_footwear", "examples": f"- {SHOES}\n"}]
    assert [c.tier for c in load_cases(project / "tests" / "triage_cases_reviewed.yml")] == [
        "urgent"]

    validate = rasa("data", "validate", "--data", "data", "--domain", "domain.yml",
                    "--config", "config.yml", cwd=project)
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-3000:]
    result = rasa("test", "core", "--model", str(MODEL), "--stories",
                  str(export / "test_stories.yml"), "--fail-on-prediction-errors",
                  "--out", str(tmp_path / "results"), cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    import json

    report = json.loads((tmp_path / "results" / "story_report.json").read_text())
    # The saved story's actions were predicted (and right: a wrong one fails the run).
    assert report["utter_greet"]["support"] == 1
    assert report["action_strengthening_advice"]["support"] == 1
