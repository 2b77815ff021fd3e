"""Run-time entries are held to the configuration file's rules; errors name the field."""

from typing import Any

import pytest

from ingate_config.catalog import (
    PROVIDER_FIELDS,
    ROUTE_FIELDS,
    merged_providers,
    runtime_provider,
    runtime_route,
)
from ingate_config.errors import ConfigError
from ingate_contracts.catalog import ProviderEntry, RouteEntry


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
        runtime_route("r", entry, PROVIDERS)
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
        runtime_route(name, {"targets": [{"provider": "p", "model": "m1"}]}, PROVIDERS)
    assert err.value.setting == "name"


def test_route_may_name_a_runtime_provider() -> None:
    route = runtime_route("org/fast:1", {"targets": [{"provider": "p", "model": "m1"}]}, PROVIDERS)
    assert route.targets[0].provider == "p"


def test_file_entry_wins_over_runtime() -> None:
    file = {"p": runtime_provider("p", {"format": "openai", "base_url": "https://file/v1"})}
    runtime = {
        "p": {"format": "openai", "base_url": "https://runtime/v1"},
        "q": {"format": "openai", "base_url": "https://q"},
    }
    merged = merged_providers(file, runtime)
    assert merged["p"].base_url == "https://file/v1"
    assert merged["q"].base_url == "https://q"
