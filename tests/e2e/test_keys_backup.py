"""`ingate keys export` / `import` as an operator restores a key store: export, wipe the bucket,
import, and the same keys work through an edge with their limits, a revoked key stays revoked,
and a bad file changes nothing."""

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingate_contracts.subjects import KEYS_BUCKET
from ingate_nats import NatsServer, connect
from tests.conftest import start_edge
from tests.support.nats import running_nats
from tests.support.processes import clean_env, free_port, run_cli


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server of this module's own: its key bucket is wiped here."""
    with running_nats(tmp_path_factory.mktemp("backup-jetstream")) as server:
        yield server


def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = run_cli(*args, env=env)
    return done.returncode, done.stdout, done.stderr


def _new_key(env: dict[str, str], *args: str) -> dict[str, Any]:
    code, out, err = _cli(env, "keys", "create", "--json", *args)
    assert code == 0, err
    created: dict[str, Any] = json.loads(out)
    return created


def _records(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    code, out, err = _cli(env, "keys", "list", "--json")
    assert code == 0, err
    return {r["key_id"]: {k: v for k, v in r.items() if not k.startswith("spend")} for r in json.loads(out)}


def _wipe_key_bucket(url: str) -> None:
    async def wipe() -> None:
        client = await connect(url, "backup-test", connect_timeout_s=5.0, reconnect=False)
        try:
            await client.jetstream().delete_key_value(KEYS_BUCKET)
        finally:
            await client.close()

    asyncio.run(wipe())


def _status(edge_url: str, key: str) -> int:
    answer = httpx.post(
        f"{edge_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5},
        timeout=30,
    )
    return answer.status_code


def test_export_wipe_import_and_the_same_keys_work(
    nats: NatsServer, mock_url: str, logs_dir: Path, tmp_path: Path
) -> None:
    env = clean_env(INGATE_NATS_URL=nats.url)
    limited = _new_key(env, "--name", "limited", "--user", "alice", "--rpm", "50", "--budget-usd", "5")
    plain = _new_key(env, "--name", "plain")
    revoked = _new_key(env, "--name", "revoked")
    assert _cli(env, "keys", "revoke", revoked["key_id"])[0] == 0
    before = _records(env)

    backup = tmp_path / "keys.json"
    code, out, err = _cli(env, "keys", "export", "--output", str(backup))
    assert code == 0, err
    assert "exported 3 keys" in err
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    text = backup.read_text()
    for created in (limited, plain, revoked):
        assert created["key"] not in text  # hashes and records only
    document = json.loads(text)
    assert (document["format"], document["version"], len(document["keys"])) == ("ingate-keys", 1, 3)

    _wipe_key_bucket(nats.url)
    assert _records(env) == {}

    code, out, err = _cli(env, "keys", "import", str(backup))
    assert code == 0, err
    assert out.strip() == "imported 3 keys: 3 added, 0 replaced, 0 unchanged, 0 kept"
    assert _records(env) == before

    edge = start_edge(nats.url, mock_url, logs_dir, name="edge-after-restore")
    try:
        assert _status(edge.url, limited["key"]) == 200
        assert _status(edge.url, plain["key"]) == 200
        assert _status(edge.url, revoked["key"]) == 401
    finally:
        edge.service.stop()

    code, out, _ = _cli(env, "keys", "import", str(backup))
    assert code == 0
    assert out.strip() == "imported 3 keys: 0 added, 0 replaced, 3 unchanged, 0 kept"


def test_a_key_changed_since_the_export_is_kept_unless_replace(nats: NatsServer, tmp_path: Path) -> None:
    env = clean_env(INGATE_NATS_URL=nats.url)
    created = _new_key(env, "--name", "changing", "--rpm", "10")
    backup = tmp_path / "keys.json"
    code, out, err = _cli(env, "keys", "export")
    assert code == 0, err
    backup.write_text(out)
    assert _cli(env, "keys", "update", created["key_id"], "--rpm", "99")[0] == 0

    code, out, err = _cli(env, "keys", "import", str(backup))
    assert code == 0, err
    assert "1 kept" in out and "--replace overwrites" in err
    assert _records(env)[created["key_id"]]["rpm"] == 99

    code, out, err = _cli(env, "keys", "import", "--replace", str(backup))
    assert code == 0, err
    assert "1 replaced" in out
    assert _records(env)[created["key_id"]]["rpm"] == 10


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not an Ingate key export"),
        (b'{"format": "other", "version": 1, "exported_at": "", "keys": []}', "not an Ingate key export"),
        (
            b'{"format": "ingate-keys", "version": 1, "exported_at": "", "keys": ['
            b'{"key_hash": "sk-ingate-abc", "record": {"key_id": "key_x", "created_at": "2026-01-01"}}]}',
            "keys[0].key_hash",
        ),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(
    nats: NatsServer, tmp_path: Path, content: bytes, said: str
) -> None:
    env = clean_env(INGATE_NATS_URL=nats.url)
    _new_key(env, "--name", "bystander")
    before = _records(env)
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    code, out, err = _cli(env, "keys", "import", str(bad))
    assert code == 2
    assert err.startswith("ingate: ") and said in err
    assert out == ""
    assert _records(env) == before


def test_an_unreadable_file_is_refused_before_connecting(tmp_path: Path) -> None:
    env = clean_env(INGATE_NATS_URL=f"nats://127.0.0.1:{free_port()}")  # nothing listens
    code, _, err = _cli(env, "keys", "import", str(tmp_path / "missing.json"))
    assert code == 2
    assert "cannot read" in err
