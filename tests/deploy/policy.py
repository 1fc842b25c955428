"""Our own rules for the Kubernetes manifests (docs/deployment.md, "On Kubernetes").

`violations(docs)` returns one line per broken rule, so a test can feed it a
deliberately broken copy of the manifests and expect the matching line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from deploy.container.entrypoint import PORTS
from tests.deploy.netpol import Pod, can_connect

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "deploy" / "kubernetes"
NS, DATA_NS = "sciaticalm", "sciaticalm-data"

#: The health route each process really serves (Rasa's root page; rasa_sdk's /health;
#: the console's public sign-in page, which reads no database; the widget file itself).
HEALTH = {"rasa": "/", "actions": "/health", "console": "/login", "widget": "/widget.js"}
CONTAINER_PORTS = {**PORTS, "widget": 8080}
SCALED = ("rasa", "actions")  # a HorizontalPodAutoscaler each
SCRAPED = ("rasa", "actions", "console")  # /metrics on the HTTP port
SECRET_NAME = re.compile(r"^(?!.*_FILE$).*(PASSWORD|SECRET|TOKEN|JWT|_KEYS?$|RABBITMQ_URL|"
                         r"DATABASE_URL)")
#: The socket.io affinity annotations of ingress-nginx (hash or cookie).
AFFINITY = ("nginx.ingress.kubernetes.io/upstream-hash-by", "nginx.ingress.kubernetes.io/affinity")


def load(directory: Path = MANIFESTS) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def component(doc: dict[str, Any]) -> str:
    labels = doc["spec"]["template"]["metadata"].get("labels") or {}
    return labels.get("app.kubernetes.io/component", "?")


def _pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
            for d in docs if d.get("kind") in ("Deployment", "Job")]


def _images(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    for name, spec in _pod_specs(docs):
        for c in spec.get("initContainers", []) + spec["containers"]:
            image = c.get("image", "")
            last = image.rsplit("/", 1)[-1]
            if "@sha256:" in image:
                continue
            if ":" not in last or last.endswith(":latest"):
                problems.append(f"{name}: image {image!r} is not pinned by a tag (no latest)")
            if c.get("command"):
                problems.append(f"{name}: container {c['name']} overrides the image's "
                                "entry point (the image runs what make run-prod runs)")
    return problems


def _security(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    for name, spec in _pod_specs(docs):
        pod = spec.get("securityContext") or {}
        if pod.get("runAsNonRoot") is not True or not pod.get("runAsUser"):
            problems.append(f"{name}: pod must set runAsNonRoot and a non-zero runAsUser")
        if (pod.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: seccompProfile RuntimeDefault missing")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: automountServiceAccountToken must be false")
        for c in spec["containers"]:
            sc = c.get("securityContext") or {}
            if (sc.get("allowPrivilegeEscalation") is not False
                    or sc.get("readOnlyRootFilesystem") is not True
                    or "ALL" not in ((sc.get("capabilities") or {}).get("drop") or [])
                    or sc.get("runAsUser") == 0 or sc.get("privileged")):
                problems.append(f"{name}: container {c['name']} must drop ALL capabilities, "
                                "forbid privilege escalation and mount / read-only")
            res = c.get("resources") or {}
            for kind in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(res.get(kind) or {}):
                    problems.append(f"{name}: container {c['name']} has no cpu/memory {kind}")
    return problems


def _deployments(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h
            for h in of_kind(docs, "HorizontalPodAutoscaler")}
    pdbs = of_kind(docs, "PodDisruptionBudget")
    for d in of_kind(docs, "Deployment"):
        name, comp = d["metadata"]["name"], component(d)
        spec, pod = d["spec"], d["spec"]["template"]["spec"]
        rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        if spec.get("strategy", {}).get("type") != "RollingUpdate" \
                or rolling.get("maxUnavailable") != 0:
            problems.append(f"{name}: rolling update with maxUnavailable 0 required")
        if (spec.get("replicas") or 1) < 2:
            problems.append(f"{name}: fewer than 2 replicas")
        if comp in SCALED:
            hpa = hpas.get(name)
            if hpa is None or hpa["spec"].get("minReplicas", 1) < 2:
                problems.append(f"{name}: needs a HorizontalPodAutoscaler with minReplicas >= 2")
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        if not any(selects_labels(p["spec"]["selector"], pod_labels) for p in pdbs):
            problems.append(f"{name}: no PodDisruptionBudget selects its pods")
        container = pod["containers"][0]
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
        if comp in CONTAINER_PORTS and ports.get("http") != CONTAINER_PORTS[comp]:
            problems.append(f"{name}: container port must be {CONTAINER_PORTS[comp]}")
        for probe in ("readinessProbe", "livenessProbe"):
            get = (container.get(probe) or {}).get("httpGet") or {}
            if get.get("path") != HEALTH.get(comp) \
                    or get.get("port") not in ("http", ports.get("http")):
                problems.append(f"{name}: {probe} must GET {HEALTH.get(comp)} on its HTTP port")
        annotations = d["spec"]["template"]["metadata"].get("annotations") or {}
        scrape = {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
                  "prometheus.io/port": str(ports.get("http"))}
        if comp in SCRAPED and any(annotations.get(k) != v for k, v in scrape.items()):
            problems.append(f"{name}: prometheus.io scrape annotations {scrape} missing")
        stop = (((container.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {})
        sleep = int(stop.get("command", ["", "0"])[-1]) if stop.get("command") else 0
        if comp == "rasa" and (sleep < 15 or pod.get("terminationGracePeriodSeconds", 30)
                               < sleep + 15):
            problems.append(f"{name}: preStop sleep >= 15 s and a grace period covering it and "
                            "Sanic's 15 s shutdown are needed to drain socket.io sessions")
    return problems


def selects_labels(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _config(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    if of_kind(docs, "Secret"):
        problems.append("a Secret is committed: secrets come from outside the repo")
    for cm in of_kind(docs, "ConfigMap"):
        for key in cm.get("data") or {}:
            if SECRET_NAME.search(key):
                problems.append(f"ConfigMap {cm['metadata']['name']}: {key} belongs in a Secret")
    for name, spec in _pod_specs(docs):
        for c in spec["containers"]:
            for env in c.get("env") or []:
                if SECRET_NAME.search(env["name"]) and "value" in env:
                    problems.append(f"{name}: {env['name']} given as a plain value")
    return problems


def _rasa_stores(docs: list[dict[str, Any]]) -> list[str]:
    """With more than one replica, Rasa's lock store must be Redis (Rasa's Helm chart
    leaves it in memory by default) and the tracker store SQL, every ${VAR} supplied."""
    endpoints = yaml.safe_load((REPO / "deploy" / "endpoints.prod.yml").read_text(encoding="utf-8"))
    problems = []
    rasa = [d for d in of_kind(docs, "Deployment") if component(d) == "rasa"]
    if not rasa:
        return ["no Rasa Deployment"]
    if (endpoints.get("lock_store") or {}).get("type") != "redis":
        problems.append("endpoints.prod.yml: lock_store must be redis with several replicas")
    if (endpoints.get("tracker_store") or {}).get("type") != "SQL":
        problems.append("endpoints.prod.yml: tracker_store must be SQL")
    configmaps = {c["metadata"]["name"]: c.get("data") or {} for c in of_kind(docs, "ConfigMap")}
    container = rasa[0]["spec"]["template"]["spec"]["containers"][0]
    supplied: set[str] = {e["name"] for e in container.get("env") or []}
    has_secret = False
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            supplied |= set(configmaps.get(source["configMapRef"]["name"], {}))
        if "secretRef" in source:
            has_secret = True
    values = " ".join(str(v) for section in endpoints.values() for v in section.values())
    for var in re.findall(r"\$\{(\w+)\}", values):
        if SECRET_NAME.search(var):
            if not has_secret and var not in supplied:
                problems.append(f"rasa: {var} must come from a Secret")
        elif var not in supplied:
            problems.append(f"rasa: {var} (endpoints.prod.yml) is not set by a ConfigMap")
    return problems


def _ingress(docs: list[dict[str, Any]]) -> list[str]:
    routes: dict[str, dict[str, Any]] = {}
    for ing in of_kind(docs, "Ingress"):
        for rule in ing["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                routes[path["path"]] = {
                    "service": path["backend"]["service"]["name"],
                    "annotations": ing["metadata"].get("annotations") or {}}
    problems = []
    sock, rest = routes.get("/socket.io/"), routes.get("/webhooks/")
    if not sock or sock["service"] != "sciaticalm-rasa" \
            or not any(a in sock["annotations"] for a in AFFINITY):
        problems.append("ingress: /socket.io/ must reach Rasa with session affinity")
    elif "$arg_visitor" not in sock["annotations"].get(AFFINITY[0], "$arg_visitor"):
        problems.append("ingress: the socket.io hash must include the widget's visitor token")
    if not rest or rest["service"] != "sciaticalm-rasa" \
            or any(a in rest["annotations"] for a in AFFINITY):
        problems.append("ingress: /webhooks/ must reach Rasa round-robin (no affinity)")
    return problems


def app_pod(comp: str) -> Pod:
    return Pod(NS, {"app.kubernetes.io/name": "sciaticalm", "app.kubernetes.io/component": comp},
               ports={"http": CONTAINER_PORTS.get(comp, 0)})


#: Pods outside the application that must be kept out (or let in) by the policies.
INGRESS_CONTROLLER = Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
PROMETHEUS = Pod("monitoring", {"app.kubernetes.io/name": "prometheus"})
STRANGER = Pod("default", {"app": "something-else"})
INTRUDER_IN_NS = Pod(NS, {"app": "debug-shell"})
DATA = {name: (Pod(DATA_NS, {"app.kubernetes.io/name": name}), port)
        for name, port in (("postgresql", 5432), ("redis", 6379), ("rabbitmq", 5672))}
DATA_CLIENTS = {"postgresql": {"rasa", "console", "migrate"}, "redis": {"rasa"},
                "rabbitmq": {"rasa"}}
APP = ("rasa", "actions", "console", "widget", "migrate")


def _network(docs: list[dict[str, Any]]) -> list[str]:
    policies = of_kind(docs, "NetworkPolicy")
    problems = []

    def expect(source: Pod, target: Pod, port: int, allowed: bool, what: str) -> None:
        if can_connect(policies, source, target, port) != allowed:
            problems.append(f"network: {what} must be {'allowed' if allowed else 'denied'}")

    actions = app_pod("actions")
    for comp in APP:
        expect(app_pod(comp), actions, 5055, comp == "rasa", f"{comp} -> actions")
    for other, what in ((INGRESS_CONTROLLER, "ingress controller"), (STRANGER, "other namespace"),
                        (INTRUDER_IN_NS, "unlabelled pod in the namespace")):
        expect(other, actions, 5055, False, f"{what} -> actions")
    for name, (target, port) in DATA.items():
        for comp in APP:
            expect(app_pod(comp), target, port, comp in DATA_CLIENTS[name], f"{comp} -> {name}")
        for other, what in ((INGRESS_CONTROLLER, "ingress controller"), (STRANGER, "other ns"),
                            (INTRUDER_IN_NS, "unlabelled pod in the namespace")):
            expect(other, target, port, False, f"{what} -> {name}")
    for comp in ("rasa", "console", "widget"):
        expect(INGRESS_CONTROLLER, app_pod(comp), CONTAINER_PORTS[comp], True,
               f"ingress controller -> {comp}")
        expect(STRANGER, app_pod(comp), CONTAINER_PORTS[comp], False, f"other ns -> {comp}")
    for comp in SCRAPED:
        expect(PROMETHEUS, app_pod(comp), CONTAINER_PORTS[comp], True, f"prometheus -> {comp}")
    internet = Pod("internet", {}, ip="203.0.113.7")
    metadata = Pod("internet", {}, ip="169.254.169.254")
    expect(app_pod("rasa"), internet, 443, True, "rasa -> HTTPS outside the cluster")
    expect(app_pod("rasa"), metadata, 80, False, "rasa -> cloud metadata")
    for comp in ("actions", "console", "widget", "migrate"):
        expect(app_pod(comp), internet, 443, False, f"{comp} -> outside the cluster")
    # Anything else started in the namespace (a debug pod) is shut in and out.
    expect(INTRUDER_IN_NS, internet, 443, False, "unlabelled pod in the namespace -> outside")
    expect(STRANGER, INTRUDER_IN_NS, 8080, False, "other ns -> unlabelled pod in the namespace")
    return problems


def _references(docs: list[dict[str, Any]]) -> list[str]:
    """Names that the schemas cannot check: Ingress -> Service -> pods and port, HPA ->
    Deployment, envFrom -> ConfigMap."""
    problems = []
    pods = {d["metadata"]["name"]: d["spec"]["template"] for d in of_kind(docs, "Deployment")}
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    configmaps = {c["metadata"]["name"] for c in of_kind(docs, "ConfigMap")}
    for svc in services.values():
        matched = [t for t in pods.values()
                   if all(t["metadata"]["labels"].get(k) == v
                          for k, v in svc["spec"]["selector"].items())]
        ports = {p.get("name") for t in matched for c in t["spec"]["containers"]
                 for p in c.get("ports") or []}
        for port in svc["spec"]["ports"]:
            if not matched or port.get("targetPort") not in ports:
                problems.append(f"Service {svc['metadata']['name']}: selects no pod "
                                f"with port {port.get('targetPort')}")
    for ing in of_kind(docs, "Ingress"):
        for rule in ing["spec"].get("rules") or []:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                svc = services.get(backend["name"])
                if svc is None or backend["port"].get("name") not in {
                        p.get("name") for p in svc["spec"]["ports"]}:
                    problems.append(f"Ingress {ing['metadata']['name']}: no Service "
                                    f"{backend['name']} with port {backend['port']}")
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] not in pods:
            problems.append(f"HPA {hpa['metadata']['name']}: no such Deployment")
    for name, spec in _pod_specs(docs):
        for c in spec["containers"]:
            for source in c.get("envFrom") or []:
                ref = (source.get("configMapRef") or {}).get("name")
                if ref and ref not in configmaps:
                    problems.append(f"{name}: no ConfigMap {ref}")
    return problems


def _migration_job(docs: list[dict[str, Any]]) -> list[str]:
    for job in of_kind(docs, "Job"):
        c = job["spec"]["template"]["spec"]["containers"][0]
        if c.get("args") == ["migrate"] and "/console:" in c.get("image", ""):
            return []
    return ["no Job runs the console image's `migrate`"]


def violations(docs: list[dict[str, Any]]) -> list[str]:
    return (_images(docs) + _security(docs) + _deployments(docs) + _config(docs)
            + _rasa_stores(docs) + _ingress(docs) + _network(docs) + _references(docs)
            + _migration_job(docs))
