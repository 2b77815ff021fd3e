"""`ingate keys create|update|list` with access lists, limits and expiry, against a real NATS.

The command runs in this process (`ingate_cli.main.main`), as an operator's shell would run it
but without a new interpreter per call; `test_keys_cli.py` covers it as a real process.
"""

import asyncio
import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from ingate_cli.main import main
from ingate_contracts import hash_key, key_id_for_hash
from ingate_contracts.subjects import spend_entry
from ingate_nats import NatsServer, connect
from ingate_nats.buckets import spend_bucket
from ingate_nats.spend import month_of
from tests.support.processes import clean_env

Cli = Callable[..., tuple[int, str, str]]

EVERY_ATTRIBUTE = (
    "--name", "every", "--user", "alice",
    "--providers", "openai,anthropic", "--providers", "custom-llm",
    "--models", "gpt-4o*,claude-*", "--models", "llama3.1:8b",
    "--rpm", "600", "--tpm", "1000000", "--budget-usd", "12.5",
    "--per-user-rpm", "60", "--per-user-tpm", "10000",
    "--expires", "2031-06-30T12:00", "--cache-ttl", "900",
)  # fmt: skip


@pytest.fixture
def ingate(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    for name in set(os.environ) - set(clean_env()):
        monkeypatch.delenv(name)
    monkeypatch.setenv("INGATE_NATS_URL", nats_server.url)
    # An operator's alias, so that it is a configured provider here.
    monkeypatch.setenv("INGATE_CUSTOM_LLM_FORMAT", "openai")
    monkeypatch.setenv("INGATE_CUSTOM_LLM_BASE_URL", "http://127.0.0.1:9/v1")

    def run(*argv: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(list(argv))
        out, err = capsys.readouterr()
        return int(exited.value.code or 0), out, err

    return run


def create(ingate: Cli, *flags: str) -> dict[str, Any]:
    code, out, err = ingate("keys", "create", "--json", *flags)
    assert code == 0, err
    created: dict[str, Any] = json.loads(out)
    return created


def listed(ingate: Cli, key_id: str) -> dict[str, Any]:
    code, out, err = ingate("keys", "list", "--json")
    assert code == 0, err
    (record,) = [r for r in json.loads(out) if r["key_id"] == key_id]
    return record  # type: ignore[no-any-return]


def test_create_with_every_attribute_reads_back(ingate: Cli) -> None:
    code, out, err = ingate("keys", "create", *EVERY_ATTRIBUTE)
    assert code == 0, err
    key = out.strip()
    assert key.startswith("sk-ingate-") and "not shown again" in err and "warning" not in err
    record = listed(ingate, key_id_for_hash(hash_key(key)))
    assert {k: v for k, v in record.items() if k not in ("key_id", "created_at", "hint")} == {
        "name": "every",
        "user_id": "alice",
        "status": "active",
        "revoked_at": None,
        "updated_at": None,
        "providers": ["openai", "anthropic", "custom-llm"],
        "models": ["gpt-4o*", "claude-*", "llama3.1:8b"],
        "rpm": 600,
        "tpm": 1_000_000,
        "budget_usd": 12.5,
        "per_user_rpm": 60,
        "per_user_tpm": 10_000,
        "expires_at": "2031-06-30T12:00:00+00:00",
        "log_payloads": False,
        "cache_ttl": 900,
        "spend_month": month_of(dt.datetime.now(dt.UTC)),
        "spend_usd": 0.0,
    }
    code, out, _ = ingate("keys", "list")
    (row,) = [line for line in out.splitlines() if record["key_id"] in line]
    assert "LIMITS" in out and "EXPIRES" in out
    assert "rpm=600 tpm=1M user-rpm=60 user-tpm=10k $12.50/mo providers=openai,anthropic,custom-llm" in row
    assert "cache-ttl=900s" in row
    assert "2031-06-30T12:00:00+00:00" in row and row.endswith("$0.00")


def test_a_key_without_limits_lists_dashes(ingate: Cli) -> None:
    created = create(ingate, "--name", "plain")
    _, out, _ = ingate("keys", "list")
    (row,) = [line for line in out.splitlines() if created["key_id"] in line]
    assert row.split()[-3:] == ["-", "-", "$0.00"]


def test_duration_expiry_counts_from_now(ingate: Cli) -> None:
    created = create(ingate, "--expires", "30d")
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(days=30))) < dt.timedelta(minutes=1)


def test_update_changes_only_what_is_given_and_none_clears(ingate: Cli) -> None:
    before = create(ingate, *EVERY_ATTRIBUTE)
    code, out, err = ingate("keys", "update", before["key_id"], "--rpm", "10", "--name", "renamed")
    assert code == 0, err
    assert out.startswith(f"updated {before['key_id']}: rpm=10 tpm=1M")
    after = listed(ingate, before["key_id"])
    changed = {k for k in before if k != "key" and after[k] != before[k]}
    assert changed == {"rpm", "name", "updated_at"}
    assert (after["rpm"], after["name"]) == (10, "renamed")
    stamped = dt.datetime.fromisoformat(after["updated_at"])
    assert abs(stamped - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)

    code, out, err = ingate(
        "keys", "update", before["key_id"], "--providers", "none", "--models", "none", "--rpm", "none",
        "--tpm", "none", "--budget-usd", "none", "--per-user-rpm", "none", "--per-user-tpm", "none",
        "--expires", "none", "--cache-ttl", "none",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"updated {before['key_id']}: no limits"
    cleared = listed(ingate, before["key_id"])
    assert (cleared["providers"], cleared["models"], cleared["expires_at"]) == ([], [], None)
    cleared_limits = ("rpm", "tpm", "budget_usd", "per_user_rpm", "per_user_tpm", "cache_ttl")
    assert [cleared[k] for k in cleared_limits] == [None] * 6
    assert (cleared["name"], cleared["user_id"]) == ("renamed", "alice")


def test_update_and_revoke_by_id_and_by_key(ingate: Cli) -> None:
    for by in ("key_id", "key"):
        created = create(ingate)
        code, out, err = ingate("keys", "update", created[by], "--tpm", "5000", "--json")
        assert code == 0, err
        assert json.loads(out)["tpm"] == 5000
        code, out, err = ingate("keys", "revoke", created[by])
        assert (code, out.strip()) == (0, f"revoked {created['key_id']}"), err
        assert listed(ingate, created["key_id"])["status"] == "revoked"


def test_a_revoked_key_cannot_be_updated(ingate: Cli) -> None:
    created = create(ingate, "--rpm", "5")
    assert ingate("keys", "revoke", created["key_id"])[0] == 0
    revoked = listed(ingate, created["key_id"])
    code, out, err = ingate("keys", "update", created["key"], "--rpm", "none")
    assert (code, out) == (1, "")
    assert err == f"ingate: {created['key_id']} is revoked and cannot be changed; create a new key\n"
    assert listed(ingate, created["key_id"]) == revoked


def test_update_of_unknown_key_or_nothing_fails_clearly(ingate: Cli) -> None:
    code, _, err = ingate("keys", "update", "key_000000000000", "--rpm", "5")
    assert (code, err) == (1, "ingate: no key matches 'key_000000000000'\n")
    fake_key = "sk-ingate-" + "A" * 32
    code, _, err = ingate("keys", "update", fake_key, "--rpm", "5")
    assert code == 1 and fake_key not in err and "no key matches" in err
    code, _, err = ingate("keys", "update", "key_000000000000")
    assert code == 2 and err.startswith("ingate: nothing to change; give at least one of --name, --user")


def test_unconfigured_provider_is_accepted_with_a_warning(ingate: Cli) -> None:
    code, out, err = ingate("keys", "create", "--json", "--providers", "openai,groq")
    assert code == 0
    assert json.loads(out)["providers"] == ["openai", "groq"]
    assert "ingate: warning: provider 'groq' is not configured here (configured: " in err
    assert "'openai'" not in err


def test_limits_that_cannot_bite_are_noted(ingate: Cli) -> None:
    code, _, err = ingate("keys", "create", "--rpm", "10", "--per-user-rpm", "20")
    assert code == 0
    assert "ingate: note: per-user rpm 20 is above the key's rpm 10, which caps it anyway" in err


MALFORMED = [
    *[("--rpm", v) for v in ("0", "-5", "abc", "", "1.5", "1e3", "1000000001", "\u0663", "5; rm -rf /",
                             "\x1b[2J5", "9" * 100_000)],
    *[("--tpm", v) for v in ("1000000000001", "0x10", " ")],
    *[("--per-user-rpm", v) for v in ("0", "nan")],
    ("--per-user-tpm", "-1"),
    *[("--budget-usd", v) for v in ("nan", "inf", "-1", "0", "1e400", "abc", "", "1000000001", "0.0000001",
                                    "$5")],
    *[("--providers", v) for v in ("OpenAI", "open ai", "openai,,x", "openai,", "", "p" * 200, "none,openai",
                                   "opena\u0131", "\u202eopenai", "$(reboot)", "-openai",
                                   ",".join(f"p{i}" for i in range(65)))],
    *[("--models", v) for v in ("gpt 4o", "", "gpt-4\u043e", "m" * 129, "a;b", "`id`", "\u200bgpt", "x\ny")],
    *[("--expires", v) for v in ("yesterday", "2020-01-01", "0d", "-1d", "2026-13-01", "30x", "",
                                 "99999999999999d", "9999-12-31T23:59-05:00", "2031-06-30T25:00", "\x00")],
    *[("--name", v) for v in ("x" * 1000, "a\x1b[2Jb", "\u202e")],
    ("--user", "\x07"),
]  # fmt: skip


@pytest.mark.parametrize("action", ["create", "update"])
@pytest.mark.parametrize(("flag", "value"), MALFORMED, ids=[f"{f}-{i}" for i, (f, _) in enumerate(MALFORMED)])
def test_malformed_and_hostile_values_are_refused(ingate: Cli, action: str, flag: str, value: str) -> None:
    marker = f"malformed-{action}-{flag}-{MALFORMED.index((flag, value))}"
    if action == "create":
        argv = ["keys", "create", "--name", marker, f"{flag}={value}"]
        if flag == "--name":
            argv = ["keys", "create", "--user", marker, f"{flag}={value}"]
    else:
        created = create(ingate, "--name", marker, "--rpm", "7")
        argv = ["keys", "update", created["key_id"], f"{flag}={value}"]
    code, out, err = ingate(*argv)
    assert (code, out) == (2, ""), err
    assert err.startswith(f"ingate: {flag} ") and err.endswith("\n") and err.count("\n") == 1
    assert err[:-1].isprintable() and len(err) < 400
    assert "Traceback" not in err
    _, out, _ = ingate("keys", "list", "--json")
    mine = [r for r in json.loads(out) if marker in (r["name"], r["user_id"])]
    if action == "create":
        assert mine == []
    else:
        assert [(r["name"], r["rpm"], r["updated_at"]) for r in mine] == [(marker, 7, None)]


def test_spend_this_month_is_read_from_the_spend_bucket(ingate: Cli, nats_server: NatsServer) -> None:
    spent, unspent, garbled = create(ingate), create(ingate), create(ingate)
    month = month_of(dt.datetime.now(dt.UTC))

    async def charge() -> None:
        client = await connect(nats_server.url, "test-spend-writer")
        try:
            bucket = await spend_bucket(client)
            await bucket.put(spend_entry(spent["key_id"], month), b"12345678")
            await bucket.put(spend_entry(spent["key_id"], "2000-01"), b"99000000")  # another month
            await bucket.put(spend_entry(garbled["key_id"], month), b"12.5")
        finally:
            await client.close()

    asyncio.run(charge())
    assert listed(ingate, spent["key_id"])["spend_usd"] == 12.345678
    assert listed(ingate, unspent["key_id"])["spend_usd"] == 0.0
    assert listed(ingate, garbled["key_id"])["spend_usd"] is None
    _, out, _ = ingate("keys", "list")
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert f"SPEND {month}" in out
    assert rows[spent["key_id"]].endswith("$12.35")
    assert rows[unspent["key_id"]].endswith("$0.00")
    assert rows[garbled["key_id"]].endswith("?")
