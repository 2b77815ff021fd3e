"""The edge's readiness checks, and its operations listener when `edge.metrics_port` is set.

In containers /metrics belongs on a port of its own: the public port is what applications (and
whoever reaches the Service) talk to, and a scrape says how much traffic each key's user sends.
"""

from typing import TYPE_CHECKING

from ingate_edge.runtime import EdgeRuntime

if TYPE_CHECKING:
    from ingate_telemetry.ops import OpsServer


def readiness(runtime: EdgeRuntime) -> dict[str, bool | int]:
    """What /readyz reports beside its status; `runtime.ready` says whether it is ready."""
    return {
        "nats_connected": runtime.nats is not None and runtime.nats.is_connected,
        "keys_loaded": runtime.keys.loaded.is_set(),
        "keys": len(runtime.keys),
        "catalog_loaded": runtime.catalog.loaded.is_set(),
    }


async def start_operations_listener(runtime: EdgeRuntime) -> "OpsServer":
    """/healthz, /readyz and /metrics on `edge.metrics_port`, beside the public port.

    Imported here, not at the top: the edge without a metrics port never loads aiohttp's server.
    Workers sharing the public port share this one too (a scrape is answered by one of them,
    as on the public port)."""
    from ingate_telemetry.ops import OpsServer

    def ready() -> dict[str, bool]:
        # What `runtime.ready` requires; NATS being away does not make an edge unready.
        return {
            "keys_loaded": runtime.keys.loaded.is_set(),
            "catalog_loaded": runtime.catalog.loaded.is_set(),
        }

    server = OpsServer(runtime.metrics.registry, ready)
    edge = runtime.settings.edge
    await server.start(edge.metrics_port, edge.host, reuse_port=True)
    return server
