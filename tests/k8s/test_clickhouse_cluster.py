"""Prod runs ClickHouse as the cluster `ingate`: two replicas coordinated by a Keeper of three,
the schema made on the cluster by the analytics service and the migrate Job; dev keeps one server."""

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from tests.k8s.clickhouse_policy import CLUSTER_SETTING, clickhouse_cluster_is_consistent, cluster_settings
from tests.k8s.manifests import find, find_template
from tests.k8s.render import Manifest


def _anti_affinity_key(workload: Manifest) -> str:
    anti = workload["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    [term] = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    selector = term["podAffinityTerm"]["labelSelector"]["matchLabels"]
    assert selector == workload["spec"]["selector"]["matchLabels"]  # apart from its own kind
    return str(term["podAffinityTerm"]["topologyKey"])


def test_prod_runs_a_keeper_of_three_spread_over_nodes(rendered: dict[str, list[Manifest]]) -> None:
    prod = rendered["prod"]
    keeper = find(prod, "StatefulSet", "clickhouse-keeper")
    assert keeper["spec"]["replicas"] == 3
    assert keeper["spec"]["podManagementPolicy"] == "Parallel"  # none is ready without a quorum
    assert _anti_affinity_key(keeper) == "kubernetes.io/hostname"
    assert find(prod, "PodDisruptionBudget", "clickhouse-keeper")["spec"]["maxUnavailable"] == 1
    service = find(prod, "Service", keeper["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"]
    assert keeper["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    raft = ET.fromstring(find(prod, "ConfigMap", "clickhouse-keeper-config")["data"]["keeper.xml"])  # noqa: S314
    assert raft.find("keeper_server/server_id").get("from_env") == "KEEPER_SERVER_ID"  # type: ignore[union-attr]


def test_prod_runs_two_clickhouse_replicas_on_keeper(rendered: dict[str, list[Manifest]]) -> None:
    prod = rendered["prod"]
    server = find(prod, "StatefulSet", "clickhouse")
    assert server["spec"]["replicas"] == 2
    assert _anti_affinity_key(server) == "kubernetes.io/hostname"
    assert find(prod, "PodDisruptionBudget", "clickhouse")["spec"]["maxUnavailable"] == 1
    files = find(prod, "ConfigMap", "clickhouse-config")["data"]
    config = ET.fromstring(files["cluster.xml"])  # noqa: S314
    macros = {m.tag: m.get("from_env") for m in config.find("macros") or []}
    assert macros["shard"] == "CLICKHOUSE_SHARD" and macros["replica"] == "POD_NAME"
    container = find_template(prod, "clickhouse")["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    # $(POD_NAME) is expanded only in variables listed after it.
    names = [e["name"] for e in container["env"]]
    assert env["CLICKHOUSE_INTERSERVER_HOST"]["value"] == "$(POD_NAME).clickhouse"
    assert names.index("POD_NAME") < names.index("CLICKHOUSE_INTERSERVER_HOST")
    assert "CLICKHOUSE_SHARD=" in container["args"][0]
    mounts = {m["mountPath"]: m.get("subPath") for m in container["volumeMounts"]}
    assert mounts["/etc/clickhouse-server/config.d/cluster.xml"] == "cluster.xml"
    assert mounts["/etc/clickhouse-server/users.d/cluster.xml"] == "cluster-users.xml"
    profile = ET.fromstring(files["cluster-users.xml"]).find("profiles/default")  # noqa: S314
    assert profile is not None and profile.findtext("distributed_foreground_insert") == "1"
    # The migrations' ON CLUSTER statements ask for the CLUSTER privilege.
    users = ET.fromstring(files["users.xml"])  # noqa: S314
    assert "GRANT CLUSTER ON *.*" in [q.text for q in users.findall("users/ingate/grants/query")]
    assert clickhouse_cluster_is_consistent(prod) == []


def test_the_cluster_setting_reaches_analytics_and_migrate_only(rendered: dict[str, list[Manifest]]) -> None:
    settings = cluster_settings(rendered["prod"])
    assert settings["Deployment/ingate-analytics"] == "ingate"
    assert settings["Job/ingate-migrate"] == "ingate"
    # The edge and the translator never talk to ClickHouse (and would refuse the setting without a URL).
    assert settings["Deployment/ingate-edge"] is None and settings["Deployment/ingate-translator"] is None
    assert set(cluster_settings(rendered["dev"]).values()) == {None}


def test_dev_keeps_one_clickhouse_server(rendered: dict[str, list[Manifest]]) -> None:
    dev = rendered["dev"]
    assert find(dev, "StatefulSet", "clickhouse")["spec"]["replicas"] == 1
    assert "cluster.xml" not in find(dev, "ConfigMap", "clickhouse-config")["data"]
    assert not [o for o in dev if o["metadata"]["name"].startswith("clickhouse-keeper")]


def _edit_file(name: str, old: str, new: str) -> Callable[[list[Manifest]], None]:
    def edit(objs: list[Manifest]) -> None:
        for configmap in ("clickhouse-config", "clickhouse-keeper-config"):
            data = find(objs, "ConfigMap", configmap)["data"]
            if name in data:
                assert old in data[name]
                data[name] = data[name].replace(old, new)

    return edit


def _replicas(kind: str, name: str, count: int) -> Callable[[list[Manifest]], None]:
    def edit(objs: list[Manifest]) -> None:
        find(objs, kind, name)["spec"]["replicas"] = count

    return edit


def _unset_cluster(workload: str) -> Callable[[list[Manifest]], None]:
    def edit(objs: list[Manifest]) -> None:
        container: dict[str, Any] = find_template(objs, workload)["spec"]["containers"][0]
        container["env"] = [e for e in container["env"] if e["name"] != CLUSTER_SETTING]

    return edit


@pytest.mark.parametrize(
    "breakage",
    [
        _replicas("StatefulSet", "clickhouse", 3),
        _replicas("StatefulSet", "clickhouse-keeper", 5),
        _edit_file("cluster.xml", "clickhouse-1.clickhouse", "clickhouse-9.clickhouse"),
        _edit_file("cluster.xml", "clickhouse-keeper-2.clickhouse-keeper", "keeper-2"),
        _edit_file("keeper.xml", "<id>3</id>", "<id>4</id>"),
        _edit_file("cluster.xml", "<internal_replication>true", "<internal_replication>false"),
        _unset_cluster("ingate-migrate"),
        _unset_cluster("ingate-analytics"),
    ],
    ids=[
        "servers",
        "keepers",
        "remote host",
        "keeper host",
        "raft id",
        "internal replication",
        "migrate",
        "analytics",
    ],
)
def test_the_cluster_rule_notices_pieces_that_disagree(
    rendered: dict[str, list[Manifest]], breakage: Callable[[list[Manifest]], None]
) -> None:
    prod = copy.deepcopy(rendered["prod"])
    breakage(prod)
    assert clickhouse_cluster_is_consistent(prod)
