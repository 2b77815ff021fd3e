"""Providers and routes through a real `ingate admin` process on a real nats-server: the file's
entries read-only, run-time ones checked with the file's rules, audited, never showing a key."""

import asyncio
from collections.abc import Callable, Iterator

import httpx
import msgspec
import nats
import pytest

from ingate_contracts.audit import AuditEvent
from ingate_contracts.catalog import RouteEntry, RouteTargetEntry
from ingate_contracts.subjects import AUDIT_SUBJECT
from ingate_nats.catalog import CatalogStore
from tests.support.admin import remove_runtime_catalog

SECRET = "sk-upstream-catalog-secret"
TOKEN_NAME = "catalog-test"
PROVIDER = {"format": "openai", "base_url": "https://llm.example/v1", "api_key": SECRET, "models": ["m-*"]}


@pytest.fixture(scope="module")
def auth(admin_url: str, new_token: Callable[[str], str]) -> Iterator[dict[str, str]]:
    headers = {"authorization": f"Bearer {new_token(TOKEN_NAME)}"}
    yield headers
    remove_runtime_catalog(admin_url, headers)


def _call(
    method: str, url: str, auth: dict[str, str], body: object = None, raw: bytes | None = None
) -> httpx.Response:
    content = raw if raw is not None else (None if body is None else msgspec.json.encode(body))
    return httpx.request(method, url, content=content, headers=auth, timeout=30)


def _error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["type"] and error["message"]
    message: str = error["message"]
    return message


def test_config_entries_are_listed_read_only(admin_url: str, auth: dict[str, str]) -> None:
    providers = _call("GET", f"{admin_url}/providers", auth).json()
    builtin = {p["name"]: p for p in providers}["openai"]
    assert (builtin["source"], builtin["read_only"]) == ("config", True)
    assert "api_key" not in builtin and "has_api_key" in builtin
    assert _call("GET", f"{admin_url}/providers/openai", auth).json()["format"] == "openai"
    assert "read-only" in _error(_call("PUT", f"{admin_url}/providers/openai", auth, PROVIDER), 409)
    assert "read-only" in _error(_call("DELETE", f"{admin_url}/providers/openai", auth), 409)


def test_provider_create_replace_delete(admin_url: str, auth: dict[str, str]) -> None:
    url = f"{admin_url}/providers/team-llm"
    created = _call("PUT", url, auth, PROVIDER)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "team-llm",
        "source": "runtime",
        "read_only": False,
        "format": "openai",
        "base_url": "https://llm.example/v1",
        "models": ["m-*"],
        "connect_timeout_s": 10.0,
        "read_timeout_s": 600.0,
        "has_api_key": True,
    }
    replaced = _call("PUT", url, auth, {**PROVIDER, "read_timeout_s": 30})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["read_timeout_s"] == 30
    assert _call("GET", url, auth).json()["read_timeout_s"] == 30
    listed = {p["name"]: p for p in _call("GET", f"{admin_url}/providers", auth).json()}
    assert listed["team-llm"]["source"] == "runtime"
    assert _call("DELETE", url, auth).json()["name"] == "team-llm"
    assert "team-llm" in _error(_call("GET", url, auth), 404)
    assert "team-llm" in _error(_call("DELETE", url, auth), 404)


@pytest.mark.parametrize(
    ("name", "body", "named"),
    [
        ("bad-url", {**PROVIDER, "base_url": "file:///etc/passwd"}, "providers.bad-url.base_url"),
        ("bad-url2", {**PROVIDER, "base_url": "gopher://h"}, "providers.bad-url2.base_url"),
        ("bad-format", {**PROVIDER, "format": "nope"}, "providers.bad-format.format"),
        ("extra", {**PROVIDER, "api_key_env": "HOME"}, "providers.extra.api_key_env"),
        ("extra2", {**PROVIDER, "colour": "red"}, "colour"),
        ("no-url", {"format": "openai"}, "base_url"),
        ("zero", {**PROVIDER, "connect_timeout_s": 0}, "providers.zero.connect_timeout_s"),
        ("admin", PROVIDER, "reserved"),
        ("Upper", PROVIDER, "lower-case"),
        ("x" * 64, PROVIDER, "1 to 63"),
        ("y" * 5000, PROVIDER, "1 to 63"),
    ],
)
def test_bad_provider_is_refused_naming_the_field(
    admin_url: str, auth: dict[str, str], name: str, body: object, named: str
) -> None:
    message = _error(_call("PUT", f"{admin_url}/providers/{name}", auth, body), 400)
    assert named in message
    assert SECRET not in message
    assert len(message) < 400  # an oversized name is not echoed whole


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"[" * 100_000 + b"]" * 100_000])
def test_malformed_bodies_get_a_clear_error(admin_url: str, auth: dict[str, str], raw: bytes) -> None:
    for kind in ("providers/p-bad-body", "routes/r-bad-body"):
        _error(_call("PUT", f"{admin_url}/{kind}", auth, raw=raw), 400)
    assert _call("GET", f"{admin_url}/providers", auth).status_code == 200


def test_routes_are_checked_against_the_providers_in_force(admin_url: str, auth: dict[str, str]) -> None:
    assert _call("PUT", f"{admin_url}/providers/for-routes", auth, PROVIDER).status_code == 201
    route = {
        "targets": [{"provider": "for-routes", "model": "m-1"}],
        "fallbacks": [{"provider": "openai", "model": "x"}],
    }
    url = f"{admin_url}/routes/team/fast:1"  # route names may hold / and :
    created = _call("PUT", url, auth, route)
    assert created.status_code == 201, created.text
    shown = created.json()
    assert (shown["name"], shown["source"], shown["strategy"]) == ("team/fast:1", "runtime", "weighted")
    assert shown["retry_on"] == ["connect", "timeout", "5xx", "429"]
    assert _call("PUT", url, auth, {**route, "retry_on": [429]}).status_code == 200
    assert _call("GET", url, auth).json()["retry_on"] == ["429"]
    assert "team/fast:1" in [r["name"] for r in _call("GET", f"{admin_url}/routes", auth).json()]
    unknown = {"targets": [{"provider": "nowhere", "model": "m"}]}
    assert "routes.r2.targets[0].provider" in _error(
        _call("PUT", f"{admin_url}/routes/r2", auth, unknown), 400
    )
    refused = {"targets": [{"provider": "for-routes", "model": "other"}]}
    assert "routes.r3.targets[0].model" in _error(_call("PUT", f"{admin_url}/routes/r3", auth, refused), 400)
    assert "weight" in _error(_call("PUT", f"{admin_url}/routes/r4", auth, {**route, "weight": 1}), 400)
    assert "1 to 128" in _error(_call("PUT", f"{admin_url}/routes/{'r' * 129}", auth, route), 400)
    # A caller's model means one thing: a route is not named after a real model, nor sends to a route.
    real = _error(_call("PUT", f"{admin_url}/routes/gpt-4o", auth, route), 400)
    assert "routes.gpt-4o.name" in real and "real model" in real
    to_route = {"targets": [{"provider": "openai", "model": "team/fast:1"}]}
    assert "is a route" in _error(_call("PUT", f"{admin_url}/routes/r5", auth, to_route), 400)
    # The provider cannot go, nor change so that the route breaks, while the route names it.
    delete = _call("DELETE", f"{admin_url}/providers/for-routes", auth)
    assert "route 'team/fast:1'" in _error(delete, 409)
    narrowed = _call("PUT", f"{admin_url}/providers/for-routes", auth, {**PROVIDER, "models": ["n-*"]})
    assert "route 'team/fast:1'" in _error(narrowed, 409)
    assert _call("DELETE", url, auth).status_code == 200
    assert _error(_call("DELETE", url, auth), 404)
    assert _call("DELETE", f"{admin_url}/providers/for-routes", auth).status_code == 200


async def _audit_rows(nats_url: str, actor: str, count: int) -> list[AuditEvent]:
    client = await nats.connect(nats_url)
    try:
        sub = await client.jetstream().subscribe(AUDIT_SUBJECT, ordered_consumer=True)
        rows: list[AuditEvent] = []
        while len(rows) < count:
            row = msgspec.json.decode((await sub.next_msg(timeout=30)).data, type=AuditEvent)
            rows.extend([row] if row.actor == actor and row.target == "audited" else [])
        return rows
    finally:
        await client.close()


def test_changes_are_audited_under_the_token_without_the_key(
    admin_url: str, auth: dict[str, str], admin_env: dict[str, str]
) -> None:
    url = f"{admin_url}/providers/audited"
    for answer in (
        _call("PUT", url, auth, PROVIDER),
        _call("PUT", url, auth, {**PROVIDER, "api_key": SECRET + "-2"}),
        _call("DELETE", url, auth),
    ):
        assert answer.status_code in (200, 201), answer.text
        assert SECRET not in answer.text
    _error(_call("DELETE", url, auth), 404)  # nothing left to delete: no audit row
    assert _call("PUT", url, auth, PROVIDER).status_code == 201
    assert _call("DELETE", url, auth).status_code == 200
    rows = asyncio.run(_audit_rows(admin_env["INGATE_NATS_URL"], f"admin:{TOKEN_NAME}", 5))
    actions = ["provider.create", "provider.update", "provider.delete", "provider.create", "provider.delete"]
    assert [row.action for row in rows] == actions
    assert all(SECRET not in row.before + row.after for row in rows)
    assert '"has_api_key":true' in rows[0].after


async def _store_route_directly(nats_url: str, name: str, entry: RouteEntry) -> None:
    client = await nats.connect(nats_url)
    try:
        await CatalogStore(client.jetstream()).put_route(name, entry, actor="cli:test")
    finally:
        await client.close()


def test_a_route_broken_around_the_api_blocks_no_other_change(
    admin_url: str, auth: dict[str, str], admin_env: dict[str, str]
) -> None:
    ghost = RouteEntry(targets=[RouteTargetEntry(provider="ghost", model="m")])
    asyncio.run(_store_route_directly(admin_env["INGATE_NATS_URL"], "broken", ghost))
    assert _call("GET", f"{admin_url}/routes/broken", auth).json()["targets"][0]["provider"] == "ghost"
    assert _call("PUT", f"{admin_url}/providers/unrelated", auth, PROVIDER).status_code == 201
    assert _call("PUT", f"{admin_url}/providers/ghost", auth, {**PROVIDER, "models": None}).status_code == 201
    # Now the route holds, so a change breaking it is refused.
    breaking = _call("PUT", f"{admin_url}/providers/ghost", auth, {**PROVIDER, "models": ["n-*"]})
    assert "route 'broken'" in _error(breaking, 409)
    assert _call("DELETE", f"{admin_url}/routes/broken", auth).status_code == 200
