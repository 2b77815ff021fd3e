"""Another revision of the repository, checked out beside it to be run next to the working tree.

`checkout(rev)` adds a detached git worktree of `rev` in a temporary directory and says
how to run Python on its sources. When its `uv.lock` is the working tree's, the current
environment has every package it needs, so it is reused with the revision's workspace
sources first on `PYTHONPATH` (they shadow the working tree's editable installs, which are
`.pth` entries and come later on `sys.path`); otherwise the revision gets an environment
of its own from its lock file (`uv sync --frozen`), which takes longer. The worktree is
removed afterwards.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bench.procs import ROOT

LOCK_FILE: Final = "uv.lock"


class RevisionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Checkout:
    """A revision on disk: `python` runs its code once `env` is added to the environment."""

    rev: str
    commit: str
    root: Path
    python: str
    env: Mapping[str, str] = field(default_factory=dict)
    own_environment: bool = False  # False: the current environment, its lock file being the same

    def describe(self) -> str:
        how = "its own environment (`uv sync --frozen`)" if self.own_environment else "the same environment"
        return f"{self.rev} ({self.commit[:9]}), in {how}"


def source_paths(root: Path, pyproject: Mapping[str, Any]) -> list[Path]:
    """The `src` directory of every workspace member the root `pyproject.toml` lists."""
    members = pyproject.get("tool", {}).get("uv", {}).get("workspace", {}).get("members", [])
    return [root / member / "src" for member in members if (root / member / "src").is_dir()]


def python_path(paths: list[Path], existing: str | None) -> str:
    """`paths` first, then whatever PYTHONPATH already held."""
    return os.pathsep.join([*(str(path) for path in paths), *([existing] if existing else [])])


def _git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RevisionError(f"git {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def resolve(rev: str) -> str:
    """The commit `rev` names; a RevisionError when it names none."""
    return _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Checkout]:
    commit = resolve(rev)
    tmp = Path(tempfile.mkdtemp(prefix="ingate-bench-rev-"))
    root = tmp / "src"
    _git("worktree", "add", "--detach", str(root), commit)
    try:
        yield _prepare(rev, commit, root)
    finally:
        with contextlib.suppress(RevisionError):
            _git("worktree", "remove", "--force", str(root))
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(RevisionError):
            _git("worktree", "prune")


def _prepare(rev: str, commit: str, root: Path) -> Checkout:
    if (root / LOCK_FILE).read_bytes() == (ROOT / LOCK_FILE).read_bytes():
        workspace = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        paths = python_path(source_paths(root, workspace), os.environ.get("PYTHONPATH"))
        return Checkout(rev, commit, root, sys.executable, {"PYTHONPATH": paths})
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    uv = shutil.which("uv")
    if uv is None:
        raise RevisionError(f"{rev}'s {LOCK_FILE} differs and uv is not on PATH to build its environment")
    # No dev tools: only the edge runs from the revision.
    done = subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--quiet"], cwd=root, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RevisionError(f"uv sync --frozen in {rev}: {done.stderr.strip()[-800:]}")
    return Checkout(rev, commit, root, str(root / ".venv" / "bin" / "python"), {}, own_environment=True)
