"""Access rules and limits on an Ingate key: parsing and checking them, in one place.

Pure functions, so that the command line, any other administrative tool and the tests agree
on what is acceptable. Every refusal is a `LimitError` whose text is one line for a person;
values from the outside are only ever echoed through `quoted`, so nothing a caller typed can
reach a terminal as a control sequence.
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from ingate_contracts.keys import KeyRecord

RPM_MAX: Final = 10**9
TPM_MAX: Final = 10**12
BUDGET_MAX_USD: Final = 10**9
# Spend is counted in micro-USD; finer budgets could never be reached exactly.
BUDGET_DECIMALS: Final = 6
NAME_MAX_CHARS: Final = 128
LIST_MAX_ITEMS: Final = 64
LABEL_MAX_CHARS: Final = 256
# Far enough for any real key, near enough that date arithmetic never overflows anywhere.
EXPIRY_MAX: Final = dt.timedelta(days=100 * 366)
# The value that removes a limit (or an access list) instead of setting it.
CLEAR: Final = "none"

# The longest a cached answer is kept for a key (`--cache-ttl`, `X-Ingate-Cache-TTL`): 30 days.
CACHE_TTL_MAX_S: Final = 30 * 86400
COUNT_MAX: Final = {
    "rpm": RPM_MAX,
    "tpm": TPM_MAX,
    "per_user_rpm": RPM_MAX,
    "per_user_tpm": TPM_MAX,
    "cache_ttl": CACHE_TTL_MAX_S,
}

_COUNT_RE: Final = re.compile(r"[0-9]{1,13}")
_BUDGET_RE: Final = re.compile(
    rf"[0-9]{{1,10}}(?:\.[0-9]{{1,{BUDGET_DECIMALS}}})?|\.[0-9]{{1,{BUDGET_DECIMALS}}}"
)
_PROVIDER_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Model names seen in the wild ("llama3.1:8b", "hf.co/org/m:Q4_K_M", "@cf/meta/x") plus glob syntax.
# ASCII only: a look-alike letter from another script would make a glob silently match nothing.
_GLOB_RE: Final = re.compile(r"[A-Za-z0-9._:/@+~=*?\[\]!-]+")
_DURATION_RE: Final = re.compile(r"([0-9]{1,12})([smhdw])")
_DURATION_UNIT_S: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_ISO_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


class LimitError(ValueError):
    """A value a key cannot take; `field` is the KeyRecord field, `problem` reads after its name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


class KeyChanges(msgspec.Struct, kw_only=True, frozen=True):
    """Attributes to set on a key. UNSET leaves one as it is; None (or an empty list) removes it."""

    name: str | UnsetType = UNSET
    user_id: str | UnsetType = UNSET
    providers: tuple[str, ...] | UnsetType = UNSET
    models: tuple[str, ...] | UnsetType = UNSET
    rpm: int | UnsetType | None = UNSET
    tpm: int | UnsetType | None = UNSET
    budget_usd: float | UnsetType | None = UNSET
    per_user_rpm: int | UnsetType | None = UNSET
    per_user_tpm: int | UnsetType | None = UNSET
    expires_at: str | UnsetType | None = UNSET
    log_payloads: bool | UnsetType = UNSET
    cache_ttl: int | UnsetType | None = UNSET

    def given(self) -> dict[str, Any]:
        return {f: v for f in self.__struct_fields__ if (v := getattr(self, f)) is not UNSET}


def quoted(value: str, limit: int = 40) -> str:
    """A value safe to print in a message: cut short, and with everything but printable ASCII
    escaped, so that neither a control sequence nor a look-alike letter hides what was typed."""
    return ascii(value[:limit]) + ("…" if len(value) > limit else "")


def utc_iso(when: dt.datetime) -> str:
    """The one timestamp spelling in key records, e.g. 2026-05-01T12:00:00+00:00."""
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


# --- checks on typed values: what any writer of a key record must pass -------------------------


def check_label(field: str, value: str) -> str:
    if not isinstance(value, str) or len(value) > LABEL_MAX_CHARS or not value.isprintable():
        raise LimitError(field, f"must be at most {LABEL_MAX_CHARS} printable characters")
    return value


def check_count(field: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= COUNT_MAX[field]:
        raise LimitError(field, _count_problem(field))
    return value


def check_budget(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LimitError("budget_usd", "must be a number of USD")
    if not math.isfinite(value) or not 0 < value <= BUDGET_MAX_USD:
        raise LimitError("budget_usd", f"must be more than 0 and at most {BUDGET_MAX_USD:,} USD")
    return float(value)


def check_providers(names: Sequence[str]) -> tuple[str, ...]:
    return _check_list("providers", names, _check_provider)


def check_models(globs: Sequence[str]) -> tuple[str, ...]:
    return _check_list("models", globs, _check_glob)


def check_expiry(value: str | None, now: dt.datetime) -> str | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value) if isinstance(value, str) and value.isascii() else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise LimitError("expires_at", "must be an ISO 8601 time with a zone")
    return _future(when, now)


def check_changes(changes: KeyChanges, now: dt.datetime) -> KeyChanges:
    """Every given attribute checked; raises LimitError for the first one that cannot be stored."""
    given = changes.given()
    checked: dict[str, Any] = {}
    for field, value in given.items():
        if field in ("name", "user_id"):
            checked[field] = check_label(field, value)
        elif field in COUNT_MAX:
            checked[field] = check_count(field, value)
        elif field == "budget_usd":
            checked[field] = check_budget(value)
        elif field == "providers":
            checked[field] = check_providers(value)
        elif field == "models":
            checked[field] = check_models(value)
        elif field == "log_payloads":
            if not isinstance(value, bool):
                raise LimitError(field, "must be true or false")
            checked[field] = value
        else:
            checked[field] = check_expiry(value, now)
    return KeyChanges(**checked)


def apply_changes(record: KeyRecord, changes: KeyChanges, now: dt.datetime) -> KeyRecord:
    return msgspec.structs.replace(record, **changes.given(), updated_at=utc_iso(now))


# --- parsing what a person typed ------------------------------------------------------------


def parse_changes(
    *,
    now: dt.datetime,
    name: str | None = None,
    user_id: str | None = None,
    providers: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    rpm: str | None = None,
    tpm: str | None = None,
    budget_usd: str | None = None,
    per_user_rpm: str | None = None,
    per_user_tpm: str | None = None,
    expires_at: str | None = None,
    log_payloads: str | None = None,
    cache_ttl: str | None = None,
) -> KeyChanges:
    """Text as typed (None = not given) to checked changes, each argument named as the field it
    sets. Lists are comma-separated and may come in several pieces; `none` removes a limit or
    an access list. `now` must be aware; `expires_at` may be a date, a time or a duration."""
    given: dict[str, Any] = {}
    if name is not None:
        given["name"] = check_label("name", name)
    if user_id is not None:
        given["user_id"] = check_label("user_id", user_id)
    if providers is not None:
        given["providers"] = check_providers(_split("providers", providers))
    if models is not None:
        given["models"] = check_models(_split("models", models))
    counts = {
        "rpm": rpm,
        "tpm": tpm,
        "per_user_rpm": per_user_rpm,
        "per_user_tpm": per_user_tpm,
        "cache_ttl": cache_ttl,
    }
    for field, text in counts.items():
        if text is not None:
            given[field] = parse_count(field, text)
    if budget_usd is not None:
        given["budget_usd"] = parse_budget(budget_usd)
    if expires_at is not None:
        given["expires_at"] = parse_expiry(expires_at, now)
    if log_payloads is not None:
        given["log_payloads"] = parse_switch("log_payloads", log_payloads)
    return KeyChanges(**given)


_SWITCH_VALUES: Final = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def parse_switch(field: str, text: str) -> bool:
    value = _SWITCH_VALUES.get(text.strip(" ").lower())
    if value is None:
        raise LimitError(field, f"must be true or false, got {quoted(text)}")
    return value


def parse_count(field: str, text: str) -> int | None:
    value = text.strip(" ")
    if _is_clear(value):
        return None
    if not _COUNT_RE.fullmatch(value) or not 1 <= int(value) <= COUNT_MAX[field]:
        raise LimitError(field, f"{_count_problem(field)} or {CLEAR}, got {quoted(text)}")
    return int(value)


def parse_budget(text: str) -> float | None:
    value = text.strip(" ")
    if _is_clear(value):
        return None
    if not _BUDGET_RE.fullmatch(value) or Decimal(value) == 0 or Decimal(value) > BUDGET_MAX_USD:
        raise LimitError(
            "budget_usd",
            f"must be an amount of USD such as 50 or 12.5 (more than 0, at most {BUDGET_MAX_USD:,}, "
            f"{BUDGET_DECIMALS} decimals at most) or {CLEAR}, got {quoted(text)}",
        )
    return check_budget(float(value))


def parse_expiry(text: str, now: dt.datetime) -> str | None:
    """An ISO date or time (UTC unless it names a zone) or a duration from now such as 30d or 12h."""
    value = text.strip(" ")
    if _is_clear(value):
        return None
    duration = _DURATION_RE.fullmatch(value)
    if duration:
        seconds = int(duration.group(1)) * _DURATION_UNIT_S[duration.group(2)]
        # Capped just past the maximum, so that `_future` refuses it without any overflow on the way.
        seconds = min(seconds, int(EXPIRY_MAX.total_seconds()) + 1)
        return _future(now + dt.timedelta(seconds=seconds), now)
    when = None
    if _ISO_RE.fullmatch(value):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            when = None
    if when is None:
        raise LimitError(
            "expires_at",
            "must be an ISO date or time such as 2026-12-31 or 2026-12-31T18:00Z, "
            f"a duration such as 30d, 12h or 90m, or {CLEAR}, got {quoted(text)}",
        )
    return _future(when if when.tzinfo else when.replace(tzinfo=dt.UTC), now)


# --- advice: accepted, but probably not what was meant --------------------------------------


def unknown_providers(changes: KeyChanges, known: Collection[str]) -> list[str]:
    providers = changes.providers if changes.providers is not UNSET else ()
    return [p for p in providers if p not in known]


def advisories(record: KeyRecord) -> list[str]:
    """Combinations that are allowed but have no effect, so a person may want to know."""
    notes = []
    for kind in ("rpm", "tpm"):
        per_user, whole = getattr(record, f"per_user_{kind}"), getattr(record, kind)
        if per_user is not None and whole is not None and per_user > whole:
            notes.append(
                f"per-user {kind} {per_user} is above the key's {kind} {whole}, which caps it anyway"
            )
    return notes


# --- helpers ------------------------------------------------------------------------------


def _count_problem(field: str) -> str:
    return f"must be a whole number from 1 to {COUNT_MAX[field]:,}"


def _is_clear(value: str) -> bool:
    return value.lower() == CLEAR


def _split(field: str, pieces: Sequence[str]) -> list[str]:
    if isinstance(pieces, str):
        pieces = [pieces]
    items = [item.strip(" ") for piece in pieces for item in piece.split(",")]
    if any(_is_clear(item) for item in items):
        if len(items) > 1:
            raise LimitError(field, f"takes either {CLEAR} or a list, not both")
        return []
    return items


def _check_list(field: str, items: Sequence[str], check: Callable[[str], None]) -> tuple[str, ...]:
    if isinstance(items, str) or len(items) > LIST_MAX_ITEMS:
        raise LimitError(field, f"takes a list of at most {LIST_MAX_ITEMS} entries, got {len(items)}")
    for item in items:
        if not isinstance(item, str) or not item:
            raise LimitError(field, "has an empty entry (two commas in a row, or one at the end?)")
        if len(item) > NAME_MAX_CHARS:
            raise LimitError(field, f"entries must be at most {NAME_MAX_CHARS} characters long")
        check(item)
    # Order kept as given: it is what a person will see listed.
    return tuple(dict.fromkeys(items))


def _check_provider(name: str) -> None:
    if not _PROVIDER_RE.fullmatch(name):
        raise LimitError(
            "providers",
            f"entries must be provider names: lower-case letters, digits, - and _, got {quoted(name)}",
        )


def _check_glob(glob: str) -> None:
    if not _GLOB_RE.fullmatch(glob):
        raise LimitError(
            "models",
            "entries must be model names or globs: ASCII letters, digits, . _ - : / @ + ~ = "
            f"and the glob characters * ? [ ] !, got {quoted(glob)}",
        )


def _future(when: dt.datetime, now: dt.datetime) -> str:
    # Compared before converting: a time near year 1 or 9999 may not survive the move to UTC.
    if when - now > EXPIRY_MAX:
        raise LimitError("expires_at", f"must be at most {EXPIRY_MAX.days} days ahead, got {when:%Y-%m-%d}")
    # Stored to the second, so the check is on what is stored.
    if when <= now or dt.datetime.fromisoformat(stored := utc_iso(when)) <= now:
        raise LimitError("expires_at", f"must be in the future, got {when.isoformat()}")
    return stored
