"""Raw YAML/env values to typed Structs, with msgspec's error turned into a `ConfigError`."""

from typing import Any, TypeVar

import msgspec

from ingate_config.errors import ConfigError

_T = TypeVar("_T")


def convert_one(raw: Any, target: type[_T], prefix: str) -> _T:
    """`prefix` is the setting `raw` came from; msgspec's path inside it is appended."""
    try:
        return msgspec.convert(raw, target, strict=False)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `")
        tail = path.rstrip("`").removeprefix("$").lstrip(".")
        setting = ".".join(p for p in (prefix, tail) if p) or "config"
        raise ConfigError(setting, _plain(message)) from None


def _plain(message: str) -> str:
    return message.replace("`", "").replace("Expected", "expected").replace("Invalid", "invalid")
