"""What operators rely on once the manifests are applied: the edge's /metrics off the public port,
edges and translators spread over zones and nodes."""

import pytest

from tests.k8s.manifests import containers, find
from tests.k8s.render import OVERLAYS, Manifest


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_edge_serves_metrics_on_its_own_port(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    edge = find(rendered[overlay], "Deployment", "ingate-edge")
    template = edge["spec"]["template"]
    (container,) = containers(template)
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert env["INGATE_EDGE_METRICS_PORT"] == str(ports["metrics"])
    assert ports["metrics"] != ports["http"]
    assert template["metadata"]["annotations"]["prometheus.io/port"] == str(ports["metrics"])
    service = find(rendered[overlay], "Service", "ingate-edge")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]  # the Service has no /metrics


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("workload", ["ingate-edge", "ingate-translator"])
def test_replicas_spread_over_zones_and_nodes(
    rendered: dict[str, list[Manifest]], overlay: str, workload: str
) -> None:
    spec = find(rendered[overlay], "Deployment", workload)["spec"]["template"]["spec"]
    constraints = spec["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in constraints} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    for constraint in constraints:
        assert constraint["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": workload}
        # A cluster of one zone or one node must still run every replica.
        assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"
