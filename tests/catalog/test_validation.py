"""Run-time entries are held to the configuration file's rules; errors name the field."""

from typing import Any

import pytest

from ingate_config.catalog import merged_providers, runtime_provider, runtime_route
from ingate_config.errors import ConfigError


def test_good_provider_is_accepted() -> None:
    assert runtime_provider("p", {"format": "openai", "base_url": "https://h/v1"}).name == "p"


@pytest.mark.parametrize(
    ("entry", "setting"),
    [
        ({"format": "openai", "base_url": 5}, "providers.p.base_url"),
        ({"format": "openai", "base_url": "file:///etc/passwd"}, "providers.p.base_url"),
        ({"format": "nope", "base_url": "https://h"}, "providers.p.format"),
        ({"format": "openai", "base_url": "https://h", "extra": 1}, "providers.p.entry"),
    ],
)
def test_bad_provider_names_field(entry: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        runtime_provider("p", entry)
    assert err.value.setting == setting


def test_bad_route_names_field() -> None:
    with pytest.raises(ConfigError) as err:
        runtime_route("r", {"targets": [{"provider": "p", "model": 3}]})
    assert err.value.setting == "routes.r.targets[0].model"


def test_file_entry_wins_over_runtime() -> None:
    file = {"p": runtime_provider("p", {"format": "openai", "base_url": "https://file/v1"})}
    runtime = {
        "p": {"format": "openai", "base_url": "https://runtime/v1"},
        "q": {"format": "openai", "base_url": "https://q"},
    }
    merged = merged_providers(file, runtime)
    assert merged["p"].base_url == "https://file/v1"
    assert merged["q"].base_url == "https://q"
