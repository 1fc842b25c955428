"""A small NetworkPolicy evaluator: may pod A open a TCP connection to pod B on a port?

Follows the Kubernetes semantics (a pod selected by no policy of a direction is open in
that direction; otherwise the union of the rules of every policy selecting it), for the
selectors the manifests use: podSelector, namespaceSelector (matchLabels and
matchExpressions), ipBlock with except, numeric or named TCP ports.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str]
    ip: str = "10.244.1.10"
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def namespace_labels(self) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": self.namespace}


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A label selector; {} selects everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {"In": key in labels and labels[key] in values,
              "NotIn": labels.get(key) not in values,
              "Exists": key in labels,
              "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True


def _peer_matches(peer: dict[str, Any], policy_ns: str, other: Pod) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        ip = ipaddress.ip_address(other.ip)
        if ip not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(ip in ipaddress.ip_network(e) for e in block.get("except") or [])
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != policy_ns:
        return False
    return selects(peer.get("podSelector"), other.labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, target: Pod) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != "TCP":
            continue
        value = p.get("port")
        if value is None or value == port or target.ports.get(str(value)) == port:
            return True
    return False


def _allowed(policies: list[dict[str, Any]], subject: Pod, other: Pod, port: int,
             port_owner: Pod, direction: str) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    relevant = [p for p in policies
                if p["metadata"].get("namespace") == subject.namespace
                and selects(p["spec"].get("podSelector"), subject.labels)
                and direction in (p["spec"].get("policyTypes")
                                  or (["Ingress", "Egress"] if "egress" in p["spec"]
                                      else ["Ingress"]))]
    if not relevant:
        return True
    for policy in relevant:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            peer_ok = (not peers) or any(
                _peer_matches(peer, subject.namespace, other) for peer in peers)
            if peer_ok and _port_matches(rule.get("ports"), port, port_owner):
                return True
    return False


def can_connect(policies: list[dict[str, Any]], source: Pod, target: Pod, port: int) -> bool:
    """Both the source's egress and the target's ingress allow it."""
    return (_allowed(policies, source, target, port, target, "Egress")
            and _allowed(policies, target, source, port, target, "Ingress"))
