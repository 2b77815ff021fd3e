"""Each overlay rendered once per session; tests that change a rendering work on a deep copy."""

import copy

import pytest

from tests.k8s.render import OVERLAYS, Manifest, render_overlay


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    return {name: render_overlay(name) for name in OVERLAYS}


@pytest.fixture
def dev_copy(rendered: dict[str, list[Manifest]]) -> list[Manifest]:
    return copy.deepcopy(rendered["dev"])
