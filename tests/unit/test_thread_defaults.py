"""One TensorFlow and one OpenMP thread per Rasa process in every topology, the embedded
default included, unless the environment says otherwise (server/launch.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploy import launch as prod_launch
from deploy.container import entrypoint
from server import launch
from server.launch import ONE_THREAD_PER_PROCESS, thread_defaults


def test_unset_variables_get_one_thread_and_set_ones_are_kept() -> None:
    env = {"OMP_NUM_THREADS": "4"}
    thread_defaults(env)
    assert env == {**ONE_THREAD_PER_PROCESS, "OMP_NUM_THREADS": "4"}


def test_python_m_server_sets_them_before_rasa_starts(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ONE_THREAD_PER_PROCESS:  # unset here, and as before after the test
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    assert launch.main(["--dry-run", "--out", str(tmp_path)]) == 0
    assert {key: os.environ[key] for key in ONE_THREAD_PER_PROCESS} == ONE_THREAD_PER_PROCESS


def test_the_production_launcher_and_the_container_give_the_same(tmp_path: Path) -> None:
    cfg = prod_launch.config({"SCIATICALM_PROD_DIR": str(tmp_path)})
    for env in (prod_launch.prepare_env({}, cfg), entrypoint.environment({})):
        assert {key: env[key] for key in ONE_THREAD_PER_PROCESS} == ONE_THREAD_PER_PROCESS
