"""Run-time entries are held to the configuration file's rules; errors name the field."""

from typing import Any

import msgspec
import pytest

from ingate_config import RETRY_CLASSES
from ingate_config.catalog import (
    PROVIDER_FIELDS,
    ROUTE_FIELDS,
    runtime_provider,
    runtime_route,
)
from ingate_config.errors import ConfigError
from ingate_contracts.catalog import ProviderEntry, RouteEntry, RouteTargetEntry
from ingate_pricing import PriceTable


def test_stored_fields_are_the_contracts() -> None:
    assert ProviderEntry.__struct_fields__ == PROVIDER_FIELDS
    assert RouteEntry.__struct_fields__ == ROUTE_FIELDS


def test_good_provider_is_accepted() -> None:
    assert runtime_provider("p", {"format": "openai", "base_url": "https://h/v1"}).name == "p"


@pytest.mark.parametrize(
    ("entry", "setting"),
    [
        ({"format": "openai", "base_url": 5}, "providers.p.base_url"),
        ({"format": "openai", "base_url": "file:///etc/passwd"}, "providers.p.base_url"),
        ({"format": "nope", "base_url": "https://h"}, "providers.p.format"),
        ({"format": "openai", "base_url": "https://h", "extra": 1}, "providers.p.extra"),
        ({"format": "openai", "base_url": "https://h", "api_key_env": "HOME"}, "providers.p.api_key_env"),
        ({"format": "openai", "base_url": "https://h", "read_timeout_s": 0}, "providers.p.read_timeout_s"),
    ],
)
def test_bad_provider_names_field(entry: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        runtime_provider("p", entry)
    assert err.value.setting == setting


PRICES = PriceTable.shipped()
PROVIDERS = {"p": runtime_provider("p", {"format": "openai", "base_url": "https://h/v1", "models": ["m*"]})}


@pytest.mark.parametrize(
    ("entry", "setting"),
    [
        ({"targets": [{"provider": "p", "model": 3}]}, "routes.r.targets[0].model"),
        ({"targets": [{"provider": "q", "model": "m1"}]}, "routes.r.targets[0].provider"),
        ({"targets": [{"provider": "p", "model": "other"}]}, "routes.r.targets[0].model"),
        ({"targets": []}, "routes.r.targets"),
        ({"targets": [{"provider": "p", "model": "m1"}], "max_attempts": 99}, "routes.r.max_attempts"),
        ({"targets": [{"provider": "p", "model": "m1"}], "strategy": "random"}, "routes.r.strategy"),
        ({"targets": [{"provider": "p", "model": "m1"}], "name": "other"}, "routes.r.name"),
    ],
)
def test_bad_route_names_field(entry: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        runtime_route("r", entry, PROVIDERS, PRICES)
    assert err.value.setting == setting


@pytest.mark.parametrize("name", ["admin", "Upper", "has space", "a" * 64, "x/y", ""])
def test_provider_names_follow_the_file_rules(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        runtime_provider(name, {"format": "openai", "base_url": "https://h/v1"})
    assert err.value.setting == "name"
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("name", ["has space", "a" * 129, "", "a*"])
def test_route_names_follow_the_file_rules(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        runtime_route(name, {"targets": [{"provider": "p", "model": "m1"}]}, PROVIDERS, PRICES)
    assert err.value.setting == "name"


def test_a_stored_null_retry_on_is_the_default() -> None:
    stored = msgspec.to_builtins(RouteEntry(targets=[RouteTargetEntry(provider="p", model="m1")]))
    assert runtime_route("r", stored, PROVIDERS, PRICES).retry_on == list(RETRY_CLASSES)


def test_route_may_name_a_runtime_provider() -> None:
    route = runtime_route("org/fast:1", {"targets": [{"provider": "p", "model": "m1"}]}, PROVIDERS, PRICES)
    assert route.targets[0].provider == "p"


@pytest.mark.parametrize(
    ("name", "found"),
    [("gpt-4o", "in the price catalog"), ("m1", "a target of route 'r'"), ("m-exact", "allow-list")],
)
def test_a_route_is_not_named_after_a_real_model(name: str, found: str) -> None:
    providers = {
        "p": runtime_provider(
            "p", {"format": "openai", "base_url": "https://h/v1", "models": ["m*", "m-exact"]}
        )
    }
    other = runtime_route("r", {"targets": [{"provider": "p", "model": "m1"}]}, providers, PRICES)
    with pytest.raises(ConfigError) as err:
        runtime_route(name, {"targets": [{"provider": "p", "model": "m2"}]}, providers, PRICES, [other])
    assert err.value.setting == f"routes.{name}.name"
    assert found.replace("allow-list", "in the models of provider 'p'") in str(err.value)
