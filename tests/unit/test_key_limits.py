"""Key access lists and limits: what is accepted, what is refused, and how it is stored."""

import datetime as dt

import pytest
from msgspec import UNSET

from ingate_contracts import KeyRecord
from ingate_contracts.key_limits import (
    EXPIRY_MAX,
    KeyChanges,
    LimitError,
    advisories,
    apply_changes,
    check_changes,
    parse_budget,
    parse_changes,
    parse_count,
    parse_expiry,
    quoted,
    unknown_providers,
)

NOW = dt.datetime(2026, 5, 10, 12, 0, 0, tzinfo=dt.UTC)


def test_every_attribute_parses_to_its_stored_form() -> None:
    changes = parse_changes(
        now=NOW,
        name="app",
        user_id="alice",
        providers=["openai, anthropic", "openai", "custom-llm"],
        models=["gpt-4o*,claude-*", "llama3.1:8b"],
        rpm="600",
        tpm=" 100000 ",
        budget_usd="12.5",
        per_user_rpm="60",
        per_user_tpm="10000",
        expires_at="2026-12-31",
    )
    assert changes == KeyChanges(
        name="app",
        user_id="alice",
        providers=("openai", "anthropic", "custom-llm"),
        models=("gpt-4o*", "claude-*", "llama3.1:8b"),
        rpm=600,
        tpm=100_000,
        budget_usd=12.5,
        per_user_rpm=60,
        per_user_tpm=10_000,
        expires_at="2026-12-31T00:00:00+00:00",
    )


def test_nothing_given_changes_nothing() -> None:
    assert parse_changes(now=NOW).given() == {}


@pytest.mark.parametrize("none", ["none", "None", " NONE "])
def test_none_clears_every_limit_and_list(none: str) -> None:
    changes = parse_changes(
        now=NOW, providers=[none], models=[none], rpm=none, tpm=none, budget_usd=none,
        per_user_rpm=none, per_user_tpm=none, expires_at=none,
    )  # fmt: skip
    assert changes.given() == {
        "providers": (), "models": (), "rpm": None, "tpm": None, "budget_usd": None,
        "per_user_rpm": None, "per_user_tpm": None, "expires_at": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("30d", "2026-06-09T12:00:00+00:00"),
        ("12h", "2026-05-11T00:00:00+00:00"),
        ("90m", "2026-05-10T13:30:00+00:00"),
        ("2w", "2026-05-24T12:00:00+00:00"),
        ("2026-05-10T18:30", "2026-05-10T18:30:00+00:00"),
        ("2026-05-10 18:30:15", "2026-05-10T18:30:15+00:00"),
        ("2026-05-10T18:30Z", "2026-05-10T18:30:00+00:00"),
        ("2026-05-11T01:00+02:00", "2026-05-10T23:00:00+00:00"),
        ("2026-05-10T12:00:01.9", "2026-05-10T12:00:01+00:00"),
    ],
)
def test_expiry_is_stored_as_utc_iso(text: str, stored: str) -> None:
    assert parse_expiry(text, NOW) == stored


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-05-10T12:00", "in the future"),
        ("2026-05-10T12:00:00.5", "in the future"),  # stored to the second: that is now
        ("2020-01-01", "in the future"),
        ("0d", "in the future"),
        ("0001-01-01T00:00+05:00", "in the future"),
        ("9999-12-31T23:59-05:00", f"at most {EXPIRY_MAX.days} days"),
        ("999999999999w", f"at most {EXPIRY_MAX.days} days"),
        ("2026-13-01", "ISO date"),
        ("2026-05-10x18:30", "ISO date"),
        ("2026-W20", "ISO date"),
        ("20261231", "ISO date"),
        ("tomorrow", "ISO date"),
        ("-1d", "ISO date"),
        ("1.5d", "ISO date"),
        ("\u0662\u0660\u0662\u0667-01-01", "ISO date"),  # Arabic-Indic digits
        ("", "ISO date"),
    ],
)
def test_bad_expiries_are_refused(text: str, problem: str) -> None:
    with pytest.raises(LimitError, match=problem) as refused:
        parse_expiry(text, NOW)
    assert refused.value.field == "expires_at"


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-1",
        "1.0",
        "1e3",
        "0x10",
        "+5",
        "1_000",
        "\u0661\u0662",
        "",
        " ",
        "nan",
        "1000000001",
        "9" * 10_000,
    ],
)
def test_bad_counts_are_refused(text: str) -> None:
    with pytest.raises(LimitError, match=r"whole number from 1 to 1,000,000,000") as refused:
        parse_count("rpm", text)
    assert refused.value.field == "rpm"
    assert len(str(refused.value)) < 200


def test_token_counts_go_higher_than_request_counts() -> None:
    assert parse_count("tpm", "1000000000000") == 10**12
    assert parse_count("per_user_tpm", "007") == 7
    with pytest.raises(LimitError, match=r"1,000,000,000,000"):
        parse_count("tpm", "1000000000001")


@pytest.mark.parametrize(
    "text",
    ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "0.000000", "0.0000001", "1e400", "1e2", "abc", "",
     "$5", "1,5", "5.", "1000000000.01", "99999999999", "\u0665"],
)  # fmt: skip
def test_bad_budgets_are_refused(text: str) -> None:
    with pytest.raises(LimitError, match="amount of USD") as refused:
        parse_budget(text)
    assert refused.value.field == "budget_usd"


@pytest.mark.parametrize(("text", "usd"), [("50", 50.0), ("12.5", 12.5), (".25", 0.25), ("0.000001", 1e-6),
                                           ("1000000000", 1e9)])  # fmt: skip
def test_budgets(text: str, usd: float) -> None:
    assert parse_budget(text) == usd


@pytest.mark.parametrize(
    ("providers", "problem"),
    [
        (["OpenAI"], "provider names"),
        (["open ai"], "provider names"),
        (["-openai"], "provider names"),
        (["opena\u0131"], "provider names"),  # dotless i
        (["\u202eopenai"], "provider names"),
        (["openai\x00"], "provider names"),
        (["$(reboot)"], "provider names"),
        (["openai,,anthropic"], "empty entry"),
        (["openai,"], "empty entry"),
        ([""], "empty entry"),
        (["a" * 129], "at most 128 characters"),
        ([",".join(f"p{i}" for i in range(65))], "at most 64 entries"),
        (["none,openai"], "either none or a list"),
        (["openai", "none"], "either none or a list"),
    ],
)
def test_bad_provider_lists_are_refused(providers: list[str], problem: str) -> None:
    with pytest.raises(LimitError, match=problem) as refused:
        parse_changes(now=NOW, providers=providers)
    assert refused.value.field == "providers"


@pytest.mark.parametrize(
    ("models", "problem"),
    [
        (["gpt 4o"], "model names or globs"),
        (["gpt-4o\t"], "model names or globs"),
        (["gpt-4\u043e"], "model names or globs"),  # a Cyrillic o
        (["\u200bgpt-4o"], "model names or globs"),
        (["a;b"], "model names or globs"),
        (["`id`"], "model names or globs"),
        (["m" * 129], "at most 128 characters"),
        (["gpt-4o,"], "empty entry"),
        ([",".join(f"m{i}" for i in range(65))], "at most 64 entries"),
    ],
)
def test_bad_model_lists_are_refused(models: list[str], problem: str) -> None:
    with pytest.raises(LimitError, match=problem) as refused:
        parse_changes(now=NOW, models=models)
    assert refused.value.field == "models"


def test_model_globs_keep_real_model_names() -> None:
    names = ["hf.co/org/Llama-3.2-1B-GGUF:Q4_K_M", "@cf/meta/llama-3", "claude-[0-9]*", "gpt-4o-?", "[!x]*"]
    assert parse_changes(now=NOW, models=names).models == tuple(names)


@pytest.mark.parametrize(
    ("field", "value"), [("name", "x" * 257), ("user_id", "a\x1b[2Jb"), ("name", "\u202e")]
)
def test_labels_must_be_short_and_printable(field: str, value: str) -> None:
    with pytest.raises(LimitError, match="printable") as refused:
        parse_changes(now=NOW, **{field: value})
    assert refused.value.field == field


@pytest.mark.parametrize(
    "changes",
    [
        KeyChanges(rpm=0),
        KeyChanges(tpm=10**12 + 1),
        KeyChanges(per_user_rpm=True),
        KeyChanges(budget_usd=float("nan")),
        KeyChanges(budget_usd=float("inf")),
        KeyChanges(budget_usd=-1.0),
        KeyChanges(providers=("Bad",)),
        KeyChanges(models=("",)),
        KeyChanges(expires_at="2026-12-31T00:00:00"),  # no zone: ambiguous once stored
        KeyChanges(expires_at="2020-12-31T00:00:00+00:00"),
        KeyChanges(name="\x00"),
    ],
)
def test_typed_changes_are_checked_too(changes: KeyChanges) -> None:
    with pytest.raises(LimitError):
        check_changes(changes, NOW)


def test_apply_sets_only_what_is_given_and_stamps_the_update() -> None:
    record = KeyRecord(key_id="key_000000000001", created_at="2026-01-01T00:00:00+00:00", rpm=5, tpm=50,
                       providers=("openai",))  # fmt: skip
    updated = apply_changes(record, KeyChanges(rpm=None, models=("gpt-*",)), NOW)
    assert (updated.rpm, updated.tpm) == (None, 50)
    assert (updated.providers, updated.models) == (("openai",), ("gpt-*",))
    assert updated.updated_at == "2026-05-10T12:00:00+00:00"
    assert KeyChanges(rpm=None).rpm is None and KeyChanges().rpm is UNSET


def test_advice_for_accepted_but_odd_values() -> None:
    assert unknown_providers(KeyChanges(providers=("openai", "groq")), {"openai", "anthropic"}) == ["groq"]
    assert unknown_providers(KeyChanges(), {"openai"}) == []
    record = KeyRecord(key_id="k", created_at="", rpm=10, per_user_rpm=20, tpm=100, per_user_tpm=100)
    assert advisories(record) == ["per-user rpm 20 is above the key's rpm 10, which caps it anyway"]


def test_quoted_values_are_escaped_and_short() -> None:
    shown = quoted("\x1b[31m" + "x" * 100)
    assert "\x1b" not in shown and shown.endswith("…") and len(shown) < 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_log_payloads_is_a_switch(text: str, expected: bool) -> None:
    assert parse_changes(now=NOW, log_payloads=text).given() == {"log_payloads": expected}


@pytest.mark.parametrize("text", ["", "1", "maybe", "none", "truee"])
def test_log_payloads_refuses_anything_but_true_or_false(text: str) -> None:
    with pytest.raises(LimitError) as caught:
        parse_changes(now=NOW, log_payloads=text)
    assert caught.value.field == "log_payloads"
