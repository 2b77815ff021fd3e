"""The edge's view of the catalog: file entries plus the stored ones that pass the file's rules,
and pools and deployment measurements carried over across a change."""

import msgspec

from ingate_config import Settings
from ingate_config.catalog import runtime_provider, runtime_route
from ingate_edge.catalog_watch import merge_catalog
from ingate_edge.routing.table import RouteTable
from ingate_edge.upstream import Upstreams
from ingate_nats.catalog import encode_name
from ingate_pricing import PriceTable

PRICES = PriceTable.shipped()
ROUTE = {"targets": [{"provider": "file-p", "model": "m"}]}
FILE_PROVIDER = runtime_provider("file-p", {"format": "openai", "base_url": "https://file/v1"})
SETTINGS = Settings(
    providers={"file-p": FILE_PROVIDER},
    routes={
        "file-r": runtime_route(
            "file-r", {"targets": [{"provider": "file-p", "model": "m"}]}, {"file-p": FILE_PROVIDER}, PRICES
        )
    },
)


def _stored(**entries: object) -> dict[str, bytes]:
    return {
        encode_name(name.replace("_", "-")): msgspec.json.encode(entry) for name, entry in entries.items()
    }


def test_good_entries_join_the_file_ones() -> None:
    providers = _stored(run_p={"format": "anthropic", "base_url": "https://run"})
    routes = _stored(
        fast={"targets": [{"provider": "run-p", "model": "x"}, {"provider": "file-p", "model": "y"}]}
    )
    catalog = merge_catalog(SETTINGS, PRICES, providers, routes)
    assert sorted(catalog.providers) == ["file-p", "run-p"]
    assert catalog.providers["run-p"].format == "anthropic"
    assert sorted(catalog.routes) == ["fast", "file-r"]
    assert catalog.problems == []


def test_bad_entries_are_left_out_naming_entry_and_field() -> None:
    providers = {
        **_stored(
            bad_url={"format": "openai", "base_url": "ftp://x"},
            file_p={"format": "openai", "base_url": "https://x"},
        ),
        encode_name("garbage"): b"{not json",
        encode_name("deep"): b"[" * 100_000 + b"]" * 100_000,
        "!!not-base64!!": b"{}",
    }
    routes = _stored(orphan={"targets": [{"provider": "bad-url", "model": "m"}]}, listy=[1, 2], gpt_4o=ROUTE)
    catalog = merge_catalog(SETTINGS, PRICES, providers, routes)
    assert sorted(catalog.providers) == ["file-p"]
    assert catalog.providers["file-p"] is FILE_PROVIDER  # the file wins
    assert sorted(catalog.routes) == ["file-r"]
    text = "\n".join(catalog.problems)
    assert "'bad-url'" in text and "providers.bad-url.base_url" in text
    assert "'garbage'" in text and "not JSON" in text
    assert "not a base64url name" in text
    assert "routes.orphan.targets[0].provider" in text
    assert "routes.listy" in text
    assert "'file-p' left out: the configuration file defines it" in text
    assert "'deep'" in text
    assert "routes.gpt-4o.name" in text and "real model" in text
    assert len(catalog.problems) == 8


def test_unchanged_providers_keep_their_pool_and_deployments_their_measurements() -> None:
    first = merge_catalog(SETTINGS, PRICES, _stored(a={"format": "openai", "base_url": "https://a"}), {})
    old_upstreams = Upstreams(first.providers)
    old_table = RouteTable(first.routes, old_upstreams)
    second = merge_catalog(
        SETTINGS,
        PRICES,
        _stored(
            a={"format": "openai", "base_url": "https://a"}, b={"format": "openai", "base_url": "https://b"}
        ),
        {},
    )
    upstreams = Upstreams(second.providers, old_upstreams)
    table = RouteTable(second.routes, upstreams, old_table)
    assert upstreams.get("a") is old_upstreams.get("a")
    assert upstreams.get("file-p") is old_upstreams.get("file-p")
    assert upstreams.get("b") is not None
    file_route, old_route = table.get("file-r"), old_table.get("file-r")
    assert file_route is not None and old_route is not None
    assert file_route.targets[0] is old_route.targets[0]
    assert upstreams.left_behind(old_upstreams) == []
    changed = Upstreams(
        merge_catalog(
            SETTINGS, PRICES, _stored(a={"format": "openai", "base_url": "https://a2"}), {}
        ).providers,
        upstreams,
    )
    left = changed.left_behind(upstreams)
    assert sorted(u.name for u in left) == ["a", "b"]
    assert changed.get("a") is not upstreams.get("a")
