"""Providers and routes added at run time reach a real edge through the admin API and NATS KV:
usable by X-Ingate-Provider and as a model name, gone again when deleted, a bad stored entry
logged and left out, and requests on unchanged providers untouched while others change."""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import nats
import pytest

from ingate_contracts.catalog import ProviderEntry
from ingate_contracts.subjects import PROVIDERS_BUCKET
from ingate_nats import NatsServer
from ingate_nats.catalog import CatalogStore, catalog_bucket, encode_name
from tests.conftest import MOCK_OPENAI_KEY, Edge, start_edge
from tests.support.admin import admin_token, remove_runtime_catalog, running_admin
from tests.support.local_stack import wait_for
from tests.support.processes import free_port

log = logging.getLogger(__name__)

# Generous: the machine is small and shared; the contract's 1 s is measured and logged, not asserted.
DEADLINE_S = 30.0
HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}


class Stack:
    def __init__(self, edge: Edge, admin_url: str, auth: dict[str, str], mock_url: str) -> None:
        self.edge = edge
        self.admin_url = admin_url
        self.auth = auth
        self.mock_url = mock_url
        self.key = edge.new_key("--name", "runtime-catalog")

    def provider(self, **changes: object) -> dict[str, object]:
        return {"format": "openai", "base_url": f"{self.mock_url}/v1", "api_key": MOCK_OPENAI_KEY, **changes}

    def admin(self, method: str, path: str, body: object = None) -> httpx.Response:
        content = None if body is None else msgspec.json.encode(body)
        return httpx.request(
            method, f"{self.admin_url}/{path}", content=content, headers=self.auth, timeout=30
        )

    def chat(self, provider: str | None = None, model: str = "gpt-4o-mini") -> httpx.Response:
        headers = {"authorization": f"Bearer {self.key}"}
        if provider is not None:
            headers["x-ingate-provider"] = provider
        body = {**HELLO, "model": model}
        return httpx.post(f"{self.edge.url}/v1/chat/completions", json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def stack(nats_server: NatsServer, mock_url: str, logs_dir: Path) -> Iterator[Stack]:
    edge = start_edge(nats_server.url, mock_url, logs_dir, "edge-runtime-catalog")
    # The admin API checks entries against the providers the edge has: give it the same settings.
    env = {**edge.env, "INGATE_ADMIN_PORT": str(free_port())}
    try:
        with running_admin(env, logs_dir, "admin-runtime-catalog") as url:
            auth = {"authorization": f"Bearer {admin_token(env, 'runtime-catalog')}"}
            try:
                yield Stack(edge, url, auth, mock_url)
            finally:
                remove_runtime_catalog(url, auth)
    finally:
        edge.service.stop()


def _until(what: str, check: Callable[[], bool]) -> float:
    """Seconds until `check()` holds (polled, so to within a tenth); fails after DEADLINE_S."""
    started = time.monotonic()
    wait_for(check, DEADLINE_S, what)
    return time.monotonic() - started


def test_a_provider_and_a_route_put_at_run_time_are_served_then_gone(stack: Stack) -> None:
    unknown = stack.chat("rt-mock")
    assert unknown.status_code == 400 and "rt-mock" in unknown.text
    put = stack.admin("PUT", "providers/rt-mock", stack.provider())
    assert put.status_code == 201, put.text
    took = _until("X-Ingate-Provider: rt-mock answers", lambda: stack.chat("rt-mock").status_code == 200)
    log.warning("provider PUT to its first answer through the edge: %.3f s", took)
    route = {"targets": [{"provider": "rt-mock", "model": "gpt-4o-mini"}]}
    assert stack.admin("PUT", "routes/rt-fast", route).status_code == 201

    def routed() -> bool:
        answer = stack.chat(model="rt-fast")
        return answer.status_code == 200 and answer.headers.get("x-ingate-target") == "rt-mock/gpt-4o-mini"

    took = _until("model rt-fast is routed to rt-mock", routed)
    log.warning("route PUT to its first answer through the edge: %.3f s", took)
    assert stack.admin("DELETE", "routes/rt-fast").status_code == 200
    _until(
        "model rt-fast is no longer a route",
        lambda: "x-ingate-target" not in stack.chat(model="rt-fast").headers,
    )
    assert stack.admin("DELETE", "providers/rt-mock").status_code == 200
    _until("rt-mock is unknown again", lambda: stack.chat("rt-mock").status_code == 400)


async def _write_straight(nats_url: str, entries: dict[str, bytes]) -> None:
    client = await nats.connect(nats_url)
    try:
        bucket = await catalog_bucket(client.jetstream(), PROVIDERS_BUCKET)
        for name, raw in entries.items():
            await bucket.put(encode_name(name), raw)
    finally:
        await client.close()


async def _put_with_store(nats_url: str, name: str, entry: ProviderEntry) -> None:
    client = await nats.connect(nats_url)
    try:
        await CatalogStore(client.jetstream()).put_provider(name, entry, actor="cli:test")
    finally:
        await client.close()


def test_the_edge_survives_garbage_in_the_bucket(stack: Stack) -> None:
    garbage = {"rt-junk": b"{not json", "rt-ftp": b'{"format": "openai", "base_url": "ftp://h"}'}
    asyncio.run(_write_straight(stack.edge.nats_url, garbage))
    stack.edge.service.wait_log("'rt-junk' left out: not JSON", timeout_s=DEADLINE_S)
    stack.edge.service.wait_log("providers.rt-ftp.base_url", timeout_s=DEADLINE_S)
    # Still watching: an entry written after the garbage is served.
    entry = ProviderEntry(format="openai", base_url=f"{stack.mock_url}/v1", api_key=MOCK_OPENAI_KEY)
    asyncio.run(_put_with_store(stack.edge.nats_url, "rt-after-junk", entry))
    _until("rt-after-junk answers", lambda: stack.chat("rt-after-junk").status_code == 200)
    assert stack.chat("rt-ftp").status_code == 400  # left out, so unknown
    # A good write replaces the garbage.
    assert stack.admin("PUT", "providers/rt-junk", stack.provider()).status_code == 201
    _until("rt-junk answers once replaced", lambda: stack.chat("rt-junk").status_code == 200)


def test_unchanged_providers_keep_serving_while_others_change(stack: Stack) -> None:
    assert stack.admin("PUT", "providers/rt-stable", stack.provider()).status_code == 201
    _until("rt-stable answers", lambda: stack.chat("rt-stable").status_code == 200)
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    def keep_asking(provider: str) -> None:
        while not stop.is_set():
            answer = stack.chat(provider)
            if answer.status_code != 200:
                failures.append(f"{provider}: {answer.status_code} {answer.text[:200]}")
            served[0] += 1

    workers = [
        threading.Thread(target=keep_asking, args=(p,)) for p in ("rt-stable", "rt-stable", "custom-llm")
    ]
    for worker in workers:
        worker.start()
    try:
        for round_ in range(10):
            # Only the last change allows the model asked for, so its answer shows it is in force.
            models = None if round_ == 9 else [f"other-{round_}-*"]
            changed = stack.admin("PUT", "providers/rt-churn", stack.provider(models=models))
            assert changed.status_code in (200, 201), changed.text
        _until("rt-churn's last change is in force", lambda: stack.chat("rt-churn").status_code == 200)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=120)
    assert failures == []
    assert served[0] >= 3
