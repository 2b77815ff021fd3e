"""Each rule of policy.py catches what it is there for: a broken copy of the dev rendering fails it.

One case per way of breaking a rule; every rule has at least one (checked below), so a rule that
passes everything would make its cases fail.
"""

from collections.abc import Callable
from typing import Any

import pytest

from tests.k8s.manifests import find, find_template
from tests.k8s.policy import RULES
from tests.k8s.render import Manifest

Breakage = Callable[[list[Manifest]], None]


def _container(objs: list[Manifest], workload: str) -> dict[str, Any]:
    container: dict[str, Any] = find_template(objs, workload)["spec"]["containers"][0]
    return container


def _config(objs: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = find(objs, "ConfigMap", "ingate-config")["data"]
    return data


def _set(workload: str, *path_and_value: Any) -> Breakage:
    """Set container[path...] = value on the workload's first container."""
    *path, value = path_and_value

    def breakage(objs: list[Manifest]) -> None:
        target = _container(objs, workload)
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value

    return breakage


def _drop(kind: str, name: str) -> Breakage:
    def breakage(objs: list[Manifest]) -> None:
        objs.remove(find(objs, kind, name))

    return breakage


def _policy(name: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name}}


def _open_everything(objs: list[Manifest]) -> None:
    objs.append(_policy("oops") | {"spec": {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}})


def _nats_from_everyone(objs: list[Manifest]) -> None:
    del find(objs, "NetworkPolicy", "nats")["spec"]["ingress"][0]["from"]


def _pod_spec(workload: str, key: str, value: Any) -> Breakage:
    def breakage(objs: list[Manifest]) -> None:
        find_template(objs, workload)["spec"][key] = value

    return breakage


def _account_mounts_token(objs: list[Manifest]) -> None:
    find(objs, "ServiceAccount", "nats")["automountServiceAccountToken"] = True


def _committed_secret(objs: list[Manifest]) -> None:
    objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {"k": "dg=="}})


def _edge_replicas(objs: list[Manifest]) -> None:
    find(objs, "Deployment", "ingate-edge")["spec"]["replicas"] = 3


def _no_scrape(objs: list[Manifest]) -> None:
    find_template(objs, "ingate-translator")["metadata"]["annotations"].pop("prometheus.io/scrape")


def _three_nats_one_route(objs: list[Manifest]) -> None:
    find(objs, "StatefulSet", "nats")["spec"]["replicas"] = 3
    _config(objs)["INGATE_EVENTS_STREAM_REPLICAS"] = "3"


def _nats_without_volume(objs: list[Manifest]) -> None:
    del find(objs, "StatefulSet", "nats")["spec"]["volumeClaimTemplates"]


def _edge_spool_unbounded(objs: list[Manifest]) -> None:
    for volume in find_template(objs, "ingate-edge")["spec"]["volumes"]:
        if volume["name"] == "data":
            volume["emptyDir"] = {}


def _security(workload: str, key: str, value: Any) -> Breakage:
    return _set(workload, "securityContext", key, value)


def _setting(key: str, value: str) -> Breakage:
    return lambda objs: _config(objs).update({key: value})


def _annotate(workload: str, key: str, value: str) -> Breakage:
    return lambda objs: find_template(objs, workload)["metadata"]["annotations"].update({key: value})


_LITERAL_KEY = [{"name": "INGATE_OPENAI_API_KEY", "value": "sk-live"}]


# rule -> ways of breaking it
def _two_clickhouse_servers(objs: list[Manifest]) -> None:
    find(objs, "StatefulSet", "clickhouse")["spec"]["replicas"] = 2


BREAKAGES: dict[str, dict[str, Breakage]] = {
    "images_are_pinned": {
        "untagged": _set("ingate-edge", "image", "ghcr.io/ingate/ingate"),
        "latest": _set("nats", "image", "nats:latest"),
        "registry port, no tag": _set("grafana", "image", "registry.local:5000/grafana"),
    },
    "pods_run_restricted": {
        "root allowed": _security("ingate-edge", "runAsNonRoot", False),
        "uid 0": _security("clickhouse", "runAsUser", 0),
        "capabilities kept": _security("nats", "capabilities", {}),
        "writable root": _security("grafana", "readOnlyRootFilesystem", False),
        "escalation": _security("ingate-analytics", "allowPrivilegeEscalation", True),
        "no seccomp": _security("ingate-translator", "seccompProfile", {}),
        "host network": _pod_spec("ingate-edge", "hostNetwork", True),
    },
    "no_service_account_tokens": {
        "pod token": _pod_spec("ingate-edge", "automountServiceAccountToken", True),
        "default account": _pod_spec("grafana", "serviceAccountName", "default"),
        "account token": _account_mounts_token,
    },
    "containers_have_resources": {
        "no limits": _set("ingate-translator", "resources", "limits", {}),
        "no memory request": _set("nats", "resources", "requests", {"cpu": "1"}),
    },
    "secrets_are_referenced_not_committed": {
        "Secret object": _committed_secret,
        "key in ConfigMap": _setting("CLICKHOUSE_PASSWORD", "hunter2"),
        "literal key": _set("ingate-edge", "env", _LITERAL_KEY),
    },
    "services_have_probes": {
        "no readiness": _set("ingate-analytics", "readinessProbe", None),
    },
    "edge_is_probed_and_scaled": {
        "readiness on /healthz": _set("ingate-edge", "readinessProbe", "httpGet", "path", "/healthz"),
        "liveness elsewhere": _set("ingate-edge", "livenessProbe", "httpGet", "port", 9000),
        "no autoscaler": _drop("HorizontalPodAutoscaler", "ingate-edge"),
        "no budget": _drop("PodDisruptionBudget", "ingate-edge"),
        "fixed replicas": _edge_replicas,
    },
    "network_policies_isolate": {
        "no default deny": _drop("NetworkPolicy", "default-deny-ingress"),
        "edge unreachable": _drop("NetworkPolicy", "ingate-edge"),
        "NATS open": _nats_from_everyone,
        "all open": _open_everything,
    },
    "ingate_is_configured_by_configmap": {
        "misspelt setting": _setting("INGATE_EVENT_STREAM_REPLICAS", "3"),
        "bad value": _setting("INGATE_EDGE_PORT", "http"),
        "not read": _set("ingate-translator", "envFrom", []),
        "misspelt in a Deployment": _set(
            "ingate-analytics", "env", [{"name": "INGATE_TELEMETRY_PORT", "value": "1"}]
        ),
        "bad port in a Deployment": _set(
            "ingate-translator", "env", [{"name": "INGATE_TELEMETRY_METRICS_PORT", "value": "x"}]
        ),
    },
    "writable_paths_are_volumes": {
        "no /tmp": _set("ingate-analytics", "volumeMounts", []),
        "unbounded spool": _edge_spool_unbounded,
    },
    "metrics_are_scrapable": {
        "no scrape": _no_scrape,
        "wrong port": _annotate("ingate-edge", "prometheus.io/port", "1"),
    },
    "nats_cluster_is_consistent": {
        "missing routes": _three_nats_one_route,
        "no volume": _nats_without_volume,
        "stream replicas": _setting("INGATE_EVENTS_STREAM_REPLICAS", "3"),
    },
    "clickhouse_cluster_is_consistent": {
        "two servers, no cluster": _two_clickhouse_servers,
        "a cluster setting on one server": _setting("INGATE_CLICKHOUSE_CLUSTER", "ingate"),
    },
}
CASES = [(rule, what, breakage) for rule, ways in BREAKAGES.items() for what, breakage in ways.items()]


def test_every_rule_has_a_case() -> None:
    assert set(BREAKAGES) == set(RULES)


@pytest.mark.parametrize(
    ("rule", "breakage"), [(r, b) for r, _, b in CASES], ids=[f"{r}-{d}" for r, d, _ in CASES]
)
def test_rule_catches(dev_copy: list[Manifest], rule: str, breakage: Breakage) -> None:
    assert not RULES[rule](dev_copy), "the dev rendering must pass before it is broken"
    breakage(dev_copy)
    assert RULES[rule](dev_copy), f"{rule} did not notice"
