"""Sample values synthesised from JSON Schemas (tool arguments, structured output).

Rules: ``string`` → ``"sample"`` (or the first ``enum`` value), ``integer`` → 1,
``number`` → 1.5, ``boolean`` → true, ``array`` → [], ``null`` → null, and an
``object`` gets one entry per declared property (so nested objects with
properties are filled in, and an object without properties is ``{}``).
``const``, ``$ref`` into ``$defs``/``definitions``, ``anyOf``/``oneOf``/``allOf``
and type lists are resolved by taking the first non-null choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MAX_DEPTH = 12
_SCALARS: dict[str, Any] = {
    "string": "sample",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "null": None,
}


def sample_arguments(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """Arguments object for a tool whose parameters are described by ``schema``."""
    if not schema:
        return {}
    value = sample_value(schema)
    return value if isinstance(value, dict) else {}


def sample_value(schema: Mapping[str, Any]) -> Any:
    """A value that conforms to the common subset of ``schema``."""
    return _sample(schema, schema, 0)


def _sample(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, root)
        return _sample(target, root, depth + 1) if target is not None else {}
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        choices = schema.get(key)
        if isinstance(choices, list) and choices:
            choice = _first_non_null(choices)
            if choice is not None:
                return _sample(choice, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return {}
        return {
            str(name): _sample(sub, root, depth + 1) if isinstance(sub, Mapping) else "sample"
            for name, sub in props.items()
        }
    if kind == "array":
        return []
    return _SCALARS.get(kind, "sample")


def _type_of(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        options = [k for k in kind if isinstance(k, str) and k != "null"]
        kind = options[0] if options else "null"
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "string"


def _first_non_null(choices: list[Any]) -> Mapping[str, Any] | None:
    fallback: Mapping[str, Any] | None = None
    for choice in choices:
        if not isinstance(choice, Mapping):
            continue
        if choice.get("type") == "null":
            fallback = fallback or choice
            continue
        return choice
    return fallback


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node if isinstance(node, Mapping) else None
