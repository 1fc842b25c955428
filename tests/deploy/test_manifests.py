"""The Kubernetes manifests: valid for the API (strict, offline, pinned schemas) and
true to our own rules (tests/deploy/policy.py); broken copies are rejected by both."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.policy import MANIFESTS, REPO, component, load, of_kind, violations

VALIDATOR = [str(REPO / ".venv-deploy" / "bin" / "python"),
             str(REPO / "scripts" / "validate_manifests.py")]


def offline() -> list[str]:
    """Run in a network namespace of its own when the machine allows it (as root):
    proof that the schemas come from the pinned package, not the network."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert Path(VALIDATOR[0]).exists(), "no .venv-deploy: run `make test-deploy`"
    return subprocess.run([*offline(), *VALIDATOR, *map(str, paths)], capture_output=True,
                          text=True, cwd=REPO, timeout=300)


def test_every_manifest_is_valid_for_the_kubernetes_api() -> None:
    files = sorted(MANIFESTS.glob("*.yaml"))
    result = validate(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failures" in result.stdout
    assert len(files) >= 9 and not list(MANIFESTS.glob("*.yml"))


def test_the_validator_rejects_broken_manifests(tmp_path: Path) -> None:
    rasa = yaml.safe_load_all((MANIFESTS / "rasa.yaml").read_text(encoding="utf-8"))
    deployment = next(d for d in rasa if d["kind"] == "Deployment")
    cases = {
        "unknown-field": {**deployment, "spec": {**deployment["spec"], "replica": 2}},
        "wrong-type": {**deployment, "spec": {**deployment["spec"], "replicas": "two"}},
        "unknown-api": {**deployment, "apiVersion": "apps/v2"},
        "no-name": {**deployment, "metadata": {"namespace": "sciaticalm"}},
    }
    for name, doc in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        result = validate(path)
        assert result.returncode == 1 and "FAIL" in result.stdout, (name, result.stdout)


def test_the_manifests_keep_every_rule() -> None:
    assert violations(load()) == []


Docs = list[dict[str, Any]]


def deployment(docs: Docs, comp: str) -> dict[str, Any]:
    return next(d for d in of_kind(docs, "Deployment") if component(d) == comp)


def container(docs: Docs, comp: str) -> dict[str, Any]:
    return deployment(docs, comp)["spec"]["template"]["spec"]["containers"][0]


def ingress(docs: Docs, name: str) -> dict[str, Any]:
    return next(d for d in of_kind(docs, "Ingress") if d["metadata"]["name"] == name)


def policy(docs: Docs, name: str) -> dict[str, Any]:
    return next(d for d in of_kind(docs, "NetworkPolicy") if d["metadata"]["name"] == name)


def _set(path: Callable[[Docs], dict[str, Any]], key: str, value: Any) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        path(docs)[key] = value
    return change


def _drop(path: Callable[[Docs], dict[str, Any]], key: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        del path(docs)[key]
    return change


BROKEN: dict[str, tuple[Callable[[Docs], None], str]] = {
    "one rasa replica": (_set(lambda d: deployment(d, "rasa")["spec"], "replicas", 1),
                         "sciaticalm-rasa: fewer than 2 replicas"),
    "no readiness probe": (_drop(lambda d: container(d, "actions"), "readinessProbe"),
                           "sciaticalm-actions: readinessProbe"),
    "liveness on a wrong route": (
        _set(lambda d: container(d, "rasa")["livenessProbe"]["httpGet"], "path", "/status"),
        "sciaticalm-rasa: livenessProbe must GET /"),
    "latest tag": (_set(lambda d: container(d, "console"), "image",
                        "registry.example.org/sciaticalm/console:latest"), "not pinned"),
    "untagged image": (_set(lambda d: container(d, "widget"), "image", "nginx"), "not pinned"),
    "no limits": (_drop(lambda d: container(d, "rasa")["resources"], "limits"), "no cpu/memory"),
    "root": (_set(lambda d: deployment(d, "console")["spec"]["template"]["spec"]
                  ["securityContext"], "runAsNonRoot", False), "runAsNonRoot"),
    "privilege escalation": (_set(lambda d: container(d, "rasa")["securityContext"],
                                  "allowPrivilegeEscalation", True), "privilege escalation"),
    "maxUnavailable 1": (_set(lambda d: deployment(d, "rasa")["spec"]["strategy"]
                              ["rollingUpdate"], "maxUnavailable", 1), "maxUnavailable 0"),
    "no affinity on socket.io": (
        _drop(lambda d: ingress(d, "sciaticalm-socketio")["metadata"]["annotations"],
              "nginx.ingress.kubernetes.io/upstream-hash-by"), "/socket.io/ must reach Rasa"),
    "affinity on REST": (
        _set(lambda d: ingress(d, "sciaticalm-rest")["metadata"]["annotations"],
             "nginx.ingress.kubernetes.io/affinity", "cookie"), "/webhooks/ must reach Rasa"),
    "actions open to all": (_set(lambda d: policy(d, "actions")["spec"], "ingress", [{}]),
                            "ingress controller -> actions must be denied"),
    "redis open to every namespace": (
        lambda d: policy(d, "redis-clients")["spec"]["ingress"][1].update(
            {"from": [{"namespaceSelector": {}}]}), "other ns -> redis must be denied"),
    # Defence in depth: the action server's egress and PostgreSQL's ingress both say no.
    "actions may reach postgresql": (
        lambda d: (policy(d, "actions")["spec"].update(egress=[{}]),
                   policy(d, "postgresql-clients")["spec"]["ingress"][1]["from"][0]
                   ["podSelector"]["matchExpressions"][1]["values"].append("actions")),
        "actions -> postgresql must be denied"),
    "no default deny": (lambda d: d.remove(policy(d, "default-deny")),
                        "other ns -> unlabelled pod in the namespace must be denied"),
    "password in a ConfigMap": (
        lambda d: of_kind(d, "ConfigMap")[0]["data"].update(REDIS_PASSWORD="x"),
        "REDIS_PASSWORD belongs in a Secret"),
    "committed Secret": (lambda d: d.append({"kind": "Secret", "metadata": {"name": "s"}}),
                         "a Secret is committed"),
    "redis host unset": (lambda d: of_kind(d, "ConfigMap")[0]["data"].pop("REDIS_HOST"),
                         "REDIS_HOST (endpoints.prod.yml) is not set"),
    "no scrape annotations": (
        lambda d: deployment(d, "actions")["spec"]["template"]["metadata"].pop("annotations"),
        "prometheus.io scrape"),
    "no PDB": (lambda d: d.remove(next(p for p in of_kind(d, "PodDisruptionBudget")
                                       if p["metadata"]["name"] == "sciaticalm-console")),
               "sciaticalm-console: no PodDisruptionBudget"),
    "no HPA": (lambda d: d.remove(next(h for h in of_kind(d, "HorizontalPodAutoscaler")
                                       if h["metadata"]["name"] == "sciaticalm-rasa")),
               "HorizontalPodAutoscaler"),
    "short grace period": (_set(lambda d: deployment(d, "rasa")["spec"]["template"]["spec"],
                                "terminationGracePeriodSeconds", 20), "drain socket.io"),
    "no migration job": (lambda d: d.remove(of_kind(d, "Job")[0]), "no Job runs"),
    "ingress to a missing service": (
        lambda d: ingress(d, "sciaticalm-widget")["spec"]["rules"][0]["http"]["paths"][0]
        ["backend"]["service"].update(name="sciaticalm-widgets"), "no Service sciaticalm-widgets"),
    "service selecting nothing": (
        lambda d: next(s for s in of_kind(d, "Service") if s["metadata"]["name"]
                       == "sciaticalm-console")["spec"]["selector"].update(
            {"app.kubernetes.io/component": "consol"}), "Service sciaticalm-console: selects no"),
    "missing configmap": (
        lambda d: container(d, "console")["envFrom"][0]["configMapRef"].update(name="cfg"),
        "no ConfigMap cfg"),
    "wrong container port": (
        _set(lambda d: container(d, "actions")["ports"][0], "containerPort", 5056),
        "container port must be 5055"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_manifest_is_rejected(case: str) -> None:
    docs = copy.deepcopy(load())
    change, expected = BROKEN[case]
    change(docs)
    found = violations(docs)
    assert any(expected in v for v in found), found


def test_the_widgets_nginx_file_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = tmp_path / "nginx.conf"
    widget = REPO / "deploy" / "container" / "widget-nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n    include {widget};\n}}\n",
                    encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    broken = tmp_path / "broken.conf"
    broken.write_text(conf.read_text().replace("include", "includ"), encoding="utf-8")
    assert subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(broken), "-e",
                           str(tmp_path / "error.log")], capture_output=True).returncode != 0
