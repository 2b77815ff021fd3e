"""What a rendering's ClickHouse must agree with: one server, or a cluster whose pieces match.

A cluster (prod) is the StatefulSet `clickhouse`, its `remote_servers` and macros
(clickhouse-config's cluster.xml), the Keeper StatefulSet and its raft configuration, and the
INGATE_CLICKHOUSE_CLUSTER of the analytics service and the migrate Job. Each names the others'
pods, so they are checked against each other; one server has none of them.
"""

import xml.etree.ElementTree as ET
from typing import Final

from tests.k8s.manifests import Manifest, containers, find, find_template, is_ingate, label

CLUSTER_SETTING: Final = "INGATE_CLICKHOUSE_CLUSTER"
# The Ingate workloads that make and write the schema, and so must know the cluster.
SCHEMA_WRITERS: Final = ("ingate-analytics", "ingate-migrate")
KEEPER: Final = "clickhouse-keeper"
# Who may open each (workload, port) of a cluster, beyond what every rendering allows.
CLUSTER_INGRESS: Final[dict[tuple[str, int], frozenset[str]]] = {
    ("clickhouse", 9000): frozenset({"clickhouse"}),
    ("clickhouse", 9009): frozenset({"clickhouse"}),
    (KEEPER, 9181): frozenset({"clickhouse"}),
    (KEEPER, 9234): frozenset({KEEPER}),
}


def has_keeper(objs: list[Manifest]) -> bool:
    return any(o["kind"] == "StatefulSet" and o["metadata"]["name"] == KEEPER for o in objs)


def cluster_settings(objs: list[Manifest]) -> dict[str, str | None]:
    """INGATE_CLICKHOUSE_CLUSTER as each Ingate container gets it (its env, else ingate-config)."""
    config = find(objs, "ConfigMap", "ingate-config").get("data", {})
    found: dict[str, str | None] = {}
    for obj in objs:
        if obj["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for container in filter(is_ingate, containers(obj["spec"]["template"])):
            own = {e["name"]: e.get("value") for e in container.get("env", [])}
            found[label(obj)] = own.get(CLUSTER_SETTING, config.get(CLUSTER_SETTING))
    return found


def _pods(objs: list[Manifest], name: str) -> list[str]:
    workload = find(objs, "StatefulSet", name)
    count = int(workload["spec"].get("replicas", 1))
    return [f"{name}-{i}.{workload['spec']['serviceName']}" for i in range(count)]


def clickhouse_cluster_is_consistent(objs: list[Manifest]) -> list[str]:
    servers = _pods(objs, "clickhouse")
    files = find(objs, "ConfigMap", "clickhouse-config")["data"]
    settings = cluster_settings(objs)
    if "cluster.xml" not in files:
        bad = [f"{len(servers)} ClickHouse servers but no cluster.xml"] if len(servers) != 1 else []
        bad += [
            f"{where}: {CLUSTER_SETTING} without a ClickHouse cluster" for where, v in settings.items() if v
        ]
        return bad + [f"{KEEPER} without a ClickHouse cluster"] * has_keeper(objs)
    bad = []
    config = ET.fromstring(files["cluster.xml"])  # noqa: S314  # a file of this repository
    clusters = list(config.find("remote_servers") or [])
    if len(clusters) != 1:
        return [f"cluster.xml defines {len(clusters)} clusters, expected one"]
    cluster = clusters[0]
    shards = cluster.findall("shard")
    hosts = [replica.findtext("host") for shard in shards for replica in shard.findall("replica")]
    if hosts != servers:
        bad.append(f"remote_servers lists {hosts}, the StatefulSet runs {servers}")
    server = find_template(objs, "clickhouse")["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in server.get("env", [])}
    per_shard = int(env.get("CLICKHOUSE_REPLICAS_PER_SHARD") or 0)
    if [len(shard.findall("replica")) for shard in shards] != [per_shard] * len(shards):
        bad.append(f"every shard must have CLICKHOUSE_REPLICAS_PER_SHARD={per_shard} replicas")
    if any(shard.findtext("internal_replication") != "true" for shard in shards):
        bad.append("a shard of replicated tables needs internal_replication")
    macros = config.find("macros")
    if macros is None or {m.tag for m in macros} < {"shard", "replica"}:
        bad.append("cluster.xml defines no {shard} and {replica} macros")
    keepers = _pods(objs, KEEPER) if has_keeper(objs) else []
    nodes = [node.findtext("host") for node in config.findall("zookeeper/node")]
    if not keepers or nodes != keepers:
        bad.append(f"ClickHouse uses Keeper {nodes}, the Keeper StatefulSet runs {keepers}")
    else:
        raft = ET.fromstring(find(objs, "ConfigMap", "clickhouse-keeper-config")["data"]["keeper.xml"])  # noqa: S314
        peers = [
            (s.findtext("id"), s.findtext("hostname")) for s in raft.findall(".//raft_configuration/server")
        ]
        if peers != [(str(i + 1), host) for i, host in enumerate(keepers)]:
            bad.append(f"Keeper's raft configuration {peers} does not match its pods {keepers}")
    for where, value in settings.items():
        writes_schema = any(where.endswith(f"/{name}") for name in SCHEMA_WRITERS)
        if writes_schema and value != cluster.tag:
            bad.append(f"{where}: {CLUSTER_SETTING} is {value!r}, the cluster is {cluster.tag!r}")
    return bad
