"""What differs between the overlays, and what the rendered files must hold to work once applied."""

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ingate_nats.server import nats_server_binary
from tests.k8s.manifests import INGATE_IMAGE, containers, find, find_template, is_ingate, pod_templates
from tests.k8s.render import K8S, OVERLAYS, REPO, Manifest, render

GRAFANA = REPO / "deploy" / "grafana"
# `kubectl apply` (client-side) keeps a copy of each object in an annotation of at most 256 KiB.
LAST_APPLIED_LIMIT_BYTES = 256 * 1024


def test_prod_runs_a_replicated_nats_cluster(rendered: dict[str, list[Manifest]]) -> None:
    prod = rendered["prod"]
    nats = find(prod, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert nats["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    assert find(prod, "ConfigMap", "ingate-config")["data"]["INGATE_EVENTS_STREAM_REPLICAS"] == "3"
    budget = find(prod, "PodDisruptionBudget", "nats")
    assert budget["spec"]["maxUnavailable"] == 1
    anti = nats["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"]


def test_dev_runs_one_nats_server(rendered: dict[str, list[Manifest]]) -> None:
    dev = rendered["dev"]
    assert find(dev, "StatefulSet", "nats")["spec"]["replicas"] == 1
    assert find(dev, "ConfigMap", "ingate-config")["data"]["INGATE_EVENTS_STREAM_REPLICAS"] == "1"


def test_prod_keeps_several_edges_and_translators(rendered: dict[str, list[Manifest]]) -> None:
    prod = rendered["prod"]
    assert find(prod, "HorizontalPodAutoscaler", "ingate-edge")["spec"]["minReplicas"] >= 3
    assert find(prod, "Deployment", "ingate-translator")["spec"]["replicas"] >= 2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_in_the_overlay_namespace(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    namespace = next(obj for obj in rendered[overlay] if obj["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    others = {obj["metadata"].get("namespace") for obj in rendered[overlay] if obj["kind"] != "Namespace"}
    assert others == {namespace["metadata"]["name"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_server_accepts_the_rendered_configuration(
    rendered: dict[str, list[Manifest]], overlay: str, tmp_path: Path
) -> None:
    for name, text in find(rendered[overlay], "ConfigMap", "nats-config")["data"].items():
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        [nats_server_binary(), "--config", str(tmp_path / "nats.conf"), "-t"],
        env={"POD_NAME": "nats-0"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_grafana_gets_the_files_of_deploy_grafana_unchanged(rendered: dict[str, list[Manifest]]) -> None:
    dev = rendered["dev"]
    dashboards = find(dev, "ConfigMap", "grafana-dashboards")["data"]
    on_disk = {path.name: path.read_text() for path in sorted((GRAFANA / "dashboards").glob("*.json"))}
    assert dashboards == on_disk, "list every dashboard in deploy/grafana/kustomization.yaml"
    for configmap, relative in (
        ("grafana-datasources", "provisioning/datasources/clickhouse.yaml"),
        ("grafana-dashboard-providers", "provisioning/dashboards/ingate.yaml"),
    ):
        path = GRAFANA / relative
        assert find(dev, "ConfigMap", configmap)["data"] == {path.name: path.read_text()}
    assert len(yaml.safe_dump(find(dev, "ConfigMap", "grafana-dashboards"))) < LAST_APPLIED_LIMIT_BYTES * 0.8


def test_grafana_mounts_dashboards_where_the_provider_looks(rendered: dict[str, list[Manifest]]) -> None:
    dev = rendered["dev"]
    provider = yaml.safe_load(find(dev, "ConfigMap", "grafana-dashboard-providers")["data"]["ingate.yaml"])
    grafana = find_template(dev, "grafana")
    volumes = {v["name"]: v for v in grafana["spec"]["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in grafana["spec"]["containers"][0]["volumeMounts"]}
    dashboards = mounts[provider["providers"][0]["options"]["path"]]
    assert dashboards["configMap"]["name"] == find(dev, "ConfigMap", "grafana-dashboards")["metadata"]["name"]


def test_clickhouse_users_get_their_passwords_from_the_secret(rendered: dict[str, list[Manifest]]) -> None:
    dev = rendered["dev"]
    files = find(dev, "ConfigMap", "clickhouse-config")["data"]
    # Files of this repository, not untrusted input.
    users = ET.fromstring(files["users.xml"])  # noqa: S314
    ET.fromstring(files["config.xml"])  # noqa: S314
    wanted = {user.tag: user.find("password") for user in users.find("users") or []}
    from_env = {user: p.get("from_env") for user, p in wanted.items() if p is not None}
    assert set(from_env) == {"ingate", "grafana"}
    server_env = {e["name"]: e for e in find_template(dev, "clickhouse")["spec"]["containers"][0]["env"]}
    keys = {user: server_env[variable]["valueFrom"]["secretKeyRef"] for user, variable in from_env.items()}
    # The clients use the same Secret keys as the server's users.
    analytics = {e["name"]: e for e in find_template(dev, "ingate-analytics")["spec"]["containers"][0]["env"]}
    grafana = {e["name"]: e for e in find_template(dev, "grafana")["spec"]["containers"][0]["env"]}
    assert analytics["CLICKHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"] == keys["ingate"]
    assert analytics["CLICKHOUSE_URL"]["value"].startswith("http://ingate:$(CLICKHOUSE_PASSWORD)@clickhouse:")
    assert grafana["CLICKHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"] == keys["grafana"]
    assert grafana["CLICKHOUSE_USER"]["value"] == "grafana"


def test_migrate_job_runs_ingate_migrate_against_the_server(rendered: dict[str, list[Manifest]]) -> None:
    job = find(rendered["prod"], "Job", "ingate-migrate")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "migrate"
    assert {e["name"] for e in container["env"]} >= {"CLICKHOUSE_URL", "CLICKHOUSE_PASSWORD"}


def test_operators_override_the_image_in_one_place(tmp_path: Path) -> None:
    """The README's way: an overlay of one's own with `images:` replaces every Ingate container's image."""
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(K8S / "overlays" / "prod", tmp_path)],
                "images": [
                    {"name": INGATE_IMAGE, "newName": "registry.example.com/ingate", "newTag": "9.9.9"}
                ],
            }
        )
    )
    images = {
        container["image"]
        for _, template in pod_templates(render(tmp_path))
        for container in containers(template)
        if "ingate" in container["image"] and "grafana" not in container["image"]
    }
    assert images == {"registry.example.com/ingate:9.9.9"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingate_containers_share_one_image_and_run_one_command_each(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    commands = {}
    for _, template in pod_templates(rendered[overlay]):
        for container in filter(is_ingate, containers(template)):
            commands[container["args"][0]] = container["image"]
    assert set(commands) == {"edge", "translator", "analytics", "migrate"}
    assert set(commands.values()) == {f"{INGATE_IMAGE}:0.1.0"}
