"""Every overlay renders, validates strictly against the Kubernetes API schema, and follows the rules."""

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.k8s.manifests import label
from tests.k8s.policy import RULES
from tests.k8s.render import OVERLAYS, Manifest

# The oldest Kubernetes release the manifests are meant for, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.31", "1.37")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_matches_the_api_schema_strictly(
    rendered: dict[str, list[Manifest]], overlay: str, version: str
) -> None:
    errors = []
    for obj in rendered[overlay]:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            errors.append(f"{label(obj)}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{label(obj)}: {exc.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_follows_rule(rendered: dict[str, list[Manifest]], overlay: str, rule: str) -> None:
    violations = RULES[rule](rendered[overlay])
    assert not violations, "\n".join(violations)
