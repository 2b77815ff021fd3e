"""Config text to values, and raw values to typed Structs, each problem a `ConfigError`."""

from typing import Any, TypeVar

import msgspec
import yaml

from ingate_config.errors import ConfigError

_T = TypeVar("_T")


def parse_yaml(text: str, setting: str, path: str) -> Any:
    """The YAML document in `text` (read from `path` for `setting`), or the line it breaks at."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(setting, f"{path} is not valid YAML{where}") from None


def convert_one(raw: Any, target: type[_T], prefix: str) -> _T:
    """`prefix` is the setting `raw` came from; msgspec's path inside it is appended."""
    try:
        return msgspec.convert(raw, target, strict=False)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `")
        tail = path.rstrip("`").removeprefix("$").lstrip(".")
        setting = ".".join(p for p in (prefix, tail) if p) or "config"
        raise ConfigError(setting, _plain(message)) from None


def env_list(var: str, value: str) -> list[str]:
    """A list setting given as one variable: a JSON array, or one item per line.

    Lines rather than commas, because the items may be regular expressions, where commas
    are common (`{3,5}`); blank lines are skipped, other whitespace is kept as written.
    """
    if value.lstrip().startswith("["):
        try:
            items = msgspec.json.decode(value.strip(), type=list[str])
        except msgspec.DecodeError as exc:  # ValidationError included
            raise ConfigError(var, f"expected a JSON array of strings: {_plain(str(exc))}") from None
        return items
    return [line for line in value.splitlines() if line.strip()]


def _plain(message: str) -> str:
    return message.replace("`", "").replace("Expected", "expected").replace("Invalid", "invalid")
