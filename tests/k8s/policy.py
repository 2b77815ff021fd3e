"""The rules every rendered overlay follows, as functions from manifests to violations.

Each rule returns readable lines, one per violation; no lines means the manifests pass.
test_policy_rules.py breaks a copy of a good rendering for each rule and checks that the rule
notices, so a rule that silently passes everything cannot go unseen.
"""

import re
from collections.abc import Callable
from typing import Any, Final

import msgspec

from ingate_config import ConfigError, Settings, load_settings
from ingate_providers import FORMATS
from tests.k8s.clickhouse_policy import CLUSTER_INGRESS, clickhouse_cluster_is_consistent, has_keeper
from tests.k8s.manifests import (
    Manifest,
    containers,
    find,
    find_template,
    is_ingate,
    label,
    pod_templates,
    selects,
    workload_name,
)

Rule = Callable[[list[Manifest]], list[str]]

EDGE: Final = "ingate-edge"
EDGE_PORT: Final = 8080
# The Ingate services that run for good (the migrate Job comes and goes).
INGATE_SERVICES: Final = frozenset({"ingate-edge", "ingate-translator", "ingate-analytics"})
ANYWHERE: Final = "anywhere"
# Who may open each (workload, port); every port not listed is open to nobody.
EXPECTED_INGRESS: Final[dict[tuple[str, int], frozenset[str]]] = {
    (EDGE, EDGE_PORT): frozenset({ANYWHERE}),
    # /metrics apart from the public port: only Prometheus' namespace reaches it.
    (EDGE, 9464): frozenset({"namespaces labelled ingate.dev/metrics-scraper=true"}),
    ("nats", 4222): INGATE_SERVICES,
    ("nats", 6222): frozenset({"nats"}),
    ("clickhouse", 8123): frozenset({"ingate-analytics", "ingate-migrate", "grafana"}),
    ("ingate-translator", 9464): frozenset({"namespaces labelled ingate.dev/metrics-scraper=true"}),
    ("ingate-analytics", 9464): frozenset({"namespaces labelled ingate.dev/metrics-scraper=true"}),
}
# What a built-in provider's variables set (README, "Providers"); the credential comes from a Secret.
_PROVIDER_FIELDS: Final = ("BASE_URL", "CONNECT_TIMEOUT_S", "READ_TIMEOUT_S", "MODELS", "RESPONSES_WEBSOCKET")
_SECRET_NAME: Final = re.compile(r"PASSWORD|API_KEY|SECRET|TOKEN|CREDENTIAL", re.IGNORECASE)
# Settings named by the contract rather than derived from a section of Settings.
_TOP_LEVEL_SETTINGS: Final = frozenset(
    {
        "INGATE_NATS_URL",
        "INGATE_DATA_DIR",
        "INGATE_LOG_LEVEL",
        "INGATE_CONFIG",
        "INGATE_PRICES_FILE",
        "INGATE_CLICKHOUSE_CLUSTER",
    }
)


def known_settings() -> frozenset[str]:
    """Every INGATE_* variable the loader reads for a section of Settings, the built-in providers'
    (INGATE_OLLAMA_BASE_URL, …), plus the top-level ones."""
    names = set(_TOP_LEVEL_SETTINGS)
    for section in msgspec.structs.fields(Settings):
        if isinstance(section.type, type) and issubclass(section.type, msgspec.Struct):
            for field in msgspec.structs.fields(section.type):
                names.add(f"INGATE_{section.name.upper()}_{field.name.upper()}")
    for provider in FORMATS:
        names |= {f"INGATE_{provider.upper()}_{field}" for field in _PROVIDER_FIELDS}
    return frozenset(names)


# ---- the rules ----


def images_are_pinned(objs: list[Manifest]) -> list[str]:
    bad = []
    for obj, template in pod_templates(objs):
        for container in containers(template):
            image = str(container["image"])
            last = image.split("/")[-1]
            tag = last.split(":", 1)[1] if ":" in last else ""
            if "@sha256:" not in image and tag in ("", "latest"):
                bad.append(f"{label(obj)}: image {image!r} has no fixed tag")
    return bad


def pods_run_restricted(objs: list[Manifest]) -> list[str]:
    """What the Pod Security Standard "restricted" asks, plus a read-only root filesystem."""
    bad = []
    for obj, template in pod_templates(objs):
        spec = template["spec"]
        pod_context = spec.get("securityContext", {})
        if any(spec.get(host) for host in ("hostNetwork", "hostPID", "hostIPC")):
            bad.append(f"{label(obj)}: shares a host namespace")
        if any("hostPath" in volume for volume in spec.get("volumes", [])):
            bad.append(f"{label(obj)}: mounts a hostPath")
        for container in containers(template):
            where = f"{label(obj)} container {container['name']}"
            context = container.get("securityContext", {})
            if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
                bad.append(f"{where}: runAsNonRoot is not true")
            if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
                bad.append(f"{where}: runs as uid 0")
            seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {}))
            if seccomp.get("type") != "RuntimeDefault":
                bad.append(f"{where}: no RuntimeDefault seccomp profile")
            if context.get("allowPrivilegeEscalation") is not False or context.get("privileged"):
                bad.append(f"{where}: may escalate privileges")
            if "ALL" not in context.get("capabilities", {}).get("drop", []):
                bad.append(f"{where}: does not drop ALL capabilities")
            if context.get("readOnlyRootFilesystem") is not True:
                bad.append(f"{where}: root filesystem is writable")
    return bad


def no_service_account_tokens(objs: list[Manifest]) -> list[str]:
    bad = []
    accounts = {obj["metadata"]["name"]: obj for obj in objs if obj["kind"] == "ServiceAccount"}
    for name, account in accounts.items():
        if account.get("automountServiceAccountToken") is not False:
            bad.append(f"ServiceAccount/{name}: mounts its token by default")
    for obj, template in pod_templates(objs):
        spec = template["spec"]
        if spec.get("automountServiceAccountToken") is not False:
            bad.append(f"{label(obj)}: pods get a service account token")
        if spec.get("serviceAccountName") not in accounts:
            bad.append(f"{label(obj)}: runs as {spec.get('serviceAccountName')!r}, not an account of its own")
    return bad


def containers_have_resources(objs: list[Manifest]) -> list[str]:
    bad = []
    for obj, template in pod_templates(objs):
        for container in containers(template):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(kind, {}))
                if missing:
                    bad.append(f"{label(obj)} container {container['name']}: no {kind} for {sorted(missing)}")
    return bad


def secrets_are_referenced_not_committed(objs: list[Manifest]) -> list[str]:
    bad = [f"{label(obj)}: a Secret is defined in the manifests" for obj in objs if obj["kind"] == "Secret"]
    for obj in objs:
        if obj["kind"] == "ConfigMap":
            bad += [
                f"{label(obj)}: key {key} looks secret"
                for key in obj.get("data", {})
                if _SECRET_NAME.search(key)
            ]
    for obj, template in pod_templates(objs):
        for container in containers(template):
            for variable in container.get("env", []):
                if _SECRET_NAME.search(variable["name"]) and "secretKeyRef" not in variable.get(
                    "valueFrom", {}
                ):
                    bad.append(f"{label(obj)}: {variable['name']} is not taken from a Secret")
    return bad


def services_have_probes(objs: list[Manifest]) -> list[str]:
    bad = []
    for obj, template in pod_templates(objs):
        if obj["kind"] in ("Deployment", "StatefulSet"):
            for container in template["spec"]["containers"]:
                for probe in ("readinessProbe", "livenessProbe"):
                    if not container.get(probe):
                        bad.append(f"{label(obj)} container {container['name']}: no {probe}")
    return bad


def edge_is_probed_and_scaled(objs: list[Manifest]) -> list[str]:
    bad = []
    edge = find(objs, "Deployment", EDGE)
    container = edge["spec"]["template"]["spec"]["containers"][0]
    ports = {port.get("name"): port["containerPort"] for port in container.get("ports", [])}
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        http = container.get(probe, {}).get("httpGet", {})
        if http.get("path") != path or ports.get(http.get("port"), http.get("port")) != EDGE_PORT:
            bad.append(f"edge {probe} is not GET {path} on port {EDGE_PORT}")
    if "replicas" in edge["spec"]:
        bad.append("the edge Deployment sets replicas, which its autoscaler owns")
    scalers = [
        obj for obj in objs
        if obj["kind"] == "HorizontalPodAutoscaler" and obj["apiVersion"] == "autoscaling/v2"
        and obj["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": EDGE}
        and any(m.get("resource", {}).get("name") == "cpu" for m in obj["spec"].get("metrics", []))
    ]  # fmt: skip
    if not scalers:
        bad.append("no autoscaling/v2 HorizontalPodAutoscaler scales the edge on CPU")
    edge_labels = edge["spec"]["template"]["metadata"]["labels"]
    budgets = [
        o for o in objs if o["kind"] == "PodDisruptionBudget" and selects(o["spec"]["selector"], edge_labels)
    ]
    if not budgets:
        bad.append("no PodDisruptionBudget covers the edge")
    return bad


def ingress_sources(objs: list[Manifest], workload: str, port: int) -> frozenset[str]:
    """Who NetworkPolicies let reach `port` of `workload`: workload names, namespaces, or ANYWHERE."""
    labels = find_template(objs, workload)["metadata"]["labels"]
    policies = [
        o for o in objs
        if o["kind"] == "NetworkPolicy" and "Ingress" in o["spec"].get("policyTypes", ["Ingress"])
        and selects(o["spec"]["podSelector"], labels)
    ]  # fmt: skip
    if not policies:
        return frozenset({ANYWHERE})
    sources: set[str] = set()
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            if rule.get("ports") and not any(p.get("port") == port for p in rule["ports"]):
                continue
            if not rule.get("from"):
                sources.add(ANYWHERE)
            for peer in rule.get("from", []):
                sources |= _peer_sources(objs, peer)
    return frozenset(sources)


def _peer_sources(objs: list[Manifest], peer: dict[str, Any]) -> set[str]:
    if "ipBlock" in peer:
        return {f"ipBlock {peer['ipBlock'].get('cidr')}"}
    if "namespaceSelector" in peer:
        selector = peer["namespaceSelector"]
        if not selector:
            return {"every namespace"}
        pairs = ",".join(f"{k}={v}" for k, v in sorted(selector.get("matchLabels", {}).items()))
        return {f"namespaces labelled {pairs or selector}"}
    return {
        workload_name(template)
        for _, template in pod_templates(objs)
        if selects(peer["podSelector"], template["metadata"]["labels"])
    }


def network_policies_isolate(objs: list[Manifest]) -> list[str]:
    bad = []
    deny = [
        o for o in objs
        if o["kind"] == "NetworkPolicy" and o["spec"]["podSelector"] == {} and not o["spec"].get("ingress")
        and "Ingress" in o["spec"].get("policyTypes", [])
    ]  # fmt: skip
    if not deny:
        bad.append("no default-deny ingress NetworkPolicy")
    # A ClickHouse cluster's servers and Keeper also talk among themselves.
    allowed = {**EXPECTED_INGRESS, **CLUSTER_INGRESS} if has_keeper(objs) else EXPECTED_INGRESS
    for _, template in pod_templates(objs):
        workload = workload_name(template)
        for container in containers(template):
            for port in container.get("ports", []):
                number = port["containerPort"]
                expected = allowed.get((workload, number), frozenset())
                actual = ingress_sources(objs, workload, number)
                if actual != expected:
                    bad.append(
                        f"{workload}:{number} is open to {sorted(actual)}, expected {sorted(expected)}"
                    )
    return bad


def ingate_is_configured_by_configmap(objs: list[Manifest]) -> list[str]:
    """Each Ingate container reads ingate-config; what it gets in all is known to Ingate and accepted."""
    bad: set[str] = set()
    config = find(objs, "ConfigMap", "ingate-config")
    for obj, template in pod_templates(objs):
        for container in filter(is_ingate, containers(template)):
            where = f"{label(obj)} container {container['name']}"
            refs = [
                ref["configMapRef"]["name"] for ref in container.get("envFrom", []) if "configMapRef" in ref
            ]
            if config["metadata"]["name"] not in refs:
                bad.add(f"{where}: does not read ingate-config")
            # Values from Secrets are not here; $(VAR) references stand for them.
            own = {
                e["name"]: re.sub(r"\$\(\w+\)", "x", e["value"])
                for e in container.get("env", [])
                if "value" in e
            }
            environ = {**config.get("data", {}), **own}
            unknown = sorted(
                key for key in environ if key.startswith("INGATE_") and key not in known_settings()
            )
            bad |= {f"{where}: {key} is not a setting Ingate reads" for key in unknown}
            try:
                load_settings(environ=environ)
            except ConfigError as exc:
                bad.add(f"{where}: Ingate rejects its settings: {exc}")
    return sorted(bad)


def writable_paths_are_volumes(objs: list[Manifest]) -> list[str]:
    """Read-only containers get /tmp, and the edge its INGATE_DATA_DIR, as size-limited emptyDirs."""
    bad = []
    data_dir = find(objs, "ConfigMap", "ingate-config")["data"]["INGATE_DATA_DIR"]
    for obj, template in pod_templates(objs):
        volumes = {v["name"]: v for v in template["spec"].get("volumes", [])}
        for container in filter(is_ingate, containers(template)):
            mounts = {m["mountPath"]: volumes.get(m["name"], {}) for m in container.get("volumeMounts", [])}
            needed = ["/tmp", data_dir] if container["args"][0] == "edge" else ["/tmp"]
            for path in needed:
                if "sizeLimit" not in mounts.get(path, {}).get("emptyDir", {}):
                    bad.append(f"{label(obj)}: {path} is not a size-limited emptyDir")
    return bad


def metrics_are_scrapable(objs: list[Manifest]) -> list[str]:
    bad = []
    for obj, template in pod_templates(objs):
        if workload_name(template) not in INGATE_SERVICES:
            continue
        notes = template["metadata"].get("annotations", {})
        ports = {str(p["containerPort"]) for c in containers(template) for p in c.get("ports", [])}
        if notes.get("prometheus.io/scrape") != "true" or notes.get("prometheus.io/path") != "/metrics":
            bad.append(f"{label(obj)}: no Prometheus scrape annotations for /metrics")
        if notes.get("prometheus.io/port") not in ports:
            bad.append(f"{label(obj)}: prometheus.io/port is not one of its ports {sorted(ports)}")
    return bad


def nats_cluster_is_consistent(objs: list[Manifest]) -> list[str]:
    """JetStream on a volume; as many routes as servers, named after the headless service."""
    bad = []
    nats = find(objs, "StatefulSet", "nats")
    replicas = int(nats["spec"].get("replicas", 1))
    config = find(objs, "ConfigMap", "nats-config")["data"]
    store = re.search(r"store_dir:\s*(\S+)", config["nats.conf"])
    claims = {claim["metadata"]["name"] for claim in nats["spec"].get("volumeClaimTemplates", [])}
    mounts = {
        m["mountPath"]: m["name"] for m in nats["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    if "jetstream" not in config["nats.conf"] or store is None:
        bad.append("nats.conf does not enable JetStream with a store_dir")
    elif not any(store.group(1).startswith(path) and name in claims for path, name in mounts.items()):
        bad.append(f"JetStream's store_dir {store.group(1)} is not on a PersistentVolumeClaim")
    routes = re.findall(r"nats://([\w.-]+):6222", config["cluster.conf"])
    service = nats["spec"]["serviceName"]
    expected = [f"nats-{i}.{service}" for i in range(replicas)] if replicas > 1 else []
    if routes != expected:
        bad.append(f"{replicas} NATS servers but routes {routes}, expected {expected}")
    headless = [o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == service]
    if not headless or headless[0]["spec"].get("clusterIP") != "None":
        bad.append(f"the StatefulSet's service {service} is not headless")
    stream_replicas = int(find(objs, "ConfigMap", "ingate-config")["data"]["INGATE_EVENTS_STREAM_REPLICAS"])
    if stream_replicas != replicas:
        bad.append(f"INGATE_EVENTS_STREAM_REPLICAS is {stream_replicas} on {replicas} NATS servers")
    return bad


RULES: Final[dict[str, Rule]] = {
    rule.__name__: rule
    for rule in (
        images_are_pinned,
        pods_run_restricted,
        no_service_account_tokens,
        containers_have_resources,
        secrets_are_referenced_not_committed,
        services_have_probes,
        edge_is_probed_and_scaled,
        network_policies_isolate,
        ingate_is_configured_by_configmap,
        writable_paths_are_volumes,
        metrics_are_scrapable,
        nats_cluster_is_consistent,
        clickhouse_cluster_is_consistent,
    )
}
