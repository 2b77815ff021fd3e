"""`ingate run`: the whole local stack from one command, stopped cleanly by Ctrl-C."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion

from tests.support.local_stack import alive, wait_for
from tests.support.processes import INGATE, clean_env, free_port


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.timeout(240)
def test_run_serves_the_quickstart_and_stops_cleanly(tmp_path: Path) -> None:
    edge_port = free_port()
    env = clean_env(
        INGATE_EDGE_PORT=str(edge_port),
        INGATE_ADMIN_PORT=str(free_port()),
        INGATE_NATS_URL=f"nats://127.0.0.1:{free_port()}",
        INGATE_DATA_DIR=str(tmp_path / "var"),
    )
    process = subprocess.Popen(
        [*INGATE, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any(line.startswith("sk-ingate-") for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        assert f"Ingate is running at http://localhost:{edge_port}" in lines, lines
        key = next(line for line in lines if line.startswith("sk-ingate-"))
        children = _children_of(process.pid)
        assert len(children) >= 3  # nats-server, mock provider, edge

        client = openai.OpenAI(base_url=f"http://localhost:{edge_port}", api_key=key, max_retries=0)
        completion = _first_answer(client)
        assert (completion.choices[0].message.content or "").startswith("Mock reply from gpt-4o:")

        analytics = next(pid for pid in children if "analytics" in _cmdline(pid))
        os.kill(analytics, signal.SIGKILL)  # a non-essential service dies: it is started again
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            replacements = [p for p in _children_of(process.pid) if "analytics" in _cmdline(p)]
            if replacements and analytics not in replacements:
                break
            time.sleep(0.2)
        assert replacements and analytics not in replacements, "analytics was not started again"
        again = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "still?"}]
        )
        assert (again.choices[0].message.content or "").startswith("Mock reply")
        children = _children_of(process.pid)

        process.send_signal(signal.SIGINT)
        assert process.wait(120) == 0
        assert not [pid for pid in children if alive(pid)], "ingate run left processes behind"
        assert process.stderr is not None
        assert "mock provider" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.timeout(240)
def test_run_with_a_config_file_passes_it_to_every_service(tmp_path: Path) -> None:
    edge_port, admin_port = free_port(), free_port()
    config = tmp_path / "ingate.yaml"
    config.write_text(
        f"nats_url: nats://127.0.0.1:{free_port()}\n"
        f"data_dir: {tmp_path / 'var'}\n"
        f"edge:\n  port: {edge_port}\n  host: 127.0.0.1\n"
        f"admin:\n  port: {admin_port}\n"
    )
    process = subprocess.Popen(
        [*INGATE, "--config", str(config), "run"],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        key = ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not key:
            line = process.stdout.readline()
            if not line:
                break
            key = line.strip() if line.startswith("sk-ingate-") else ""
        assert key, "ingate run printed no key"
        # The edge and admin children listen where the file says, so they read the file too.
        document = httpx.get(f"http://127.0.0.1:{admin_port}/admin/v1/openapi.json", timeout=30)
        assert document.status_code == 200
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{edge_port}", api_key=key, max_retries=0)
        completion = _first_answer(client)
        assert (completion.choices[0].message.content or "").startswith("Mock reply from gpt-4o:")
        process.send_signal(signal.SIGINT)
        assert process.wait(120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _first_answer(client: openai.OpenAI) -> ChatCompletion:
    """The quickstart's request, once the new key is in force on the edge: a key is in force
    everywhere within a second of its creation (DESIGN.md), and the edge learns of it from a
    watch, so on a busy machine the very first request may come just before it does."""

    def answer() -> ChatCompletion | None:
        try:
            return client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": "Explain AI gateways in one paragraph."}],
            )
        except openai.AuthenticationError:
            return None

    completion: ChatCompletion = wait_for(answer, 60, "the printed key in force on the edge")
    return completion
