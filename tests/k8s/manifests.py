"""Reading rendered manifests: pod templates, their containers, objects by name, label selectors."""

import re
from collections.abc import Iterator
from typing import Any, Final

from tests.k8s.render import Manifest

INGATE_IMAGE: Final = "ghcr.io/ingate/ingate"

__all__ = [
    "INGATE_IMAGE",
    "Manifest",
    "containers",
    "find",
    "find_template",
    "is_ingate",
    "label",
    "pod_templates",
    "selects",
    "workload_name",
]


def label(obj: Manifest) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def pod_templates(objs: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any]]]:
    for obj in objs:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield obj, obj["spec"]["template"]
        elif obj["kind"] == "CronJob":
            yield obj, obj["spec"]["jobTemplate"]["spec"]["template"]


def containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def workload_name(template: dict[str, Any]) -> str:
    return str(template["metadata"]["labels"]["app.kubernetes.io/name"])


def find(objs: list[Manifest], kind: str, name: str) -> Manifest:
    """The object of this kind named `name` (generated ConfigMaps: `name` plus kustomize's hash)."""
    for obj in objs:
        found = obj["metadata"]["name"]
        if obj["kind"] == kind and (
            found == name or re.fullmatch(rf"{re.escape(name)}-[a-z0-9]{{10}}", found)
        ):
            return obj
    raise LookupError(f"no {kind}/{name}")


def find_template(objs: list[Manifest], name: str) -> dict[str, Any]:
    for _, template in pod_templates(objs):
        if workload_name(template) == name:
            return template
    raise LookupError(f"no workload {name}")


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def is_ingate(container: dict[str, Any]) -> bool:
    return str(container["image"]).startswith(f"{INGATE_IMAGE}:")
