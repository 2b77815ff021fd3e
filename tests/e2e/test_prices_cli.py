"""`ingate prices show`, as an operator runs it: the real command, the real catalog."""

import json
from pathlib import Path

from ingate_pricing import CATALOG_SOURCE, OVERRIDE_SOURCE
from tests.support.processes import clean_env, run_cli


def _show(*args: str, config: Path | None = None) -> tuple[int, str, str]:
    env = clean_env() if config is None else clean_env(INGATE_CONFIG=str(config))
    done = run_cli("prices", "show", *args, env=env)
    return done.returncode, done.stdout, done.stderr


def test_shows_every_kind_per_million_tokens_and_the_source() -> None:
    code, out, _ = _show("claude-sonnet-4-20250514", "--provider", "anthropic")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"claude-sonnet-4-20250514: {CATALOG_SOURCE}"
    rows = {line[:17].strip(): line[17:].split() for line in lines[2:]}
    assert rows == {
        "input": ["3"],
        "cache read": ["0.3"],
        "cache write 5m": ["3.75"],
        "cache write 1h": ["6"],
        "output": ["15"],
        "reasoning": ["15"],
    }


def test_json_lists_the_tiers() -> None:
    code, out, _ = _show("claude-sonnet-4-5-20250929", "--provider", "anthropic", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["source"] == CATALOG_SOURCE
    assert shown["usd_per_million_tokens"]["input"] == 3.0
    assert [t["above_input_tokens"] for t in shown["tiers"]] == [200_000]
    assert shown["tiers"][0]["usd_per_million_tokens"]["output"] == 22.5


def test_an_override_is_shown_as_one_and_a_provider_alias_by_its_format(tmp_path: Path) -> None:
    config = tmp_path / "ingate.yaml"
    config.write_text(
        "prices:\n  claude-sonnet-4: {input: 2, output: 10, cached_input: 0.2}\n"
        "providers:\n  - {name: claude-eu, format: anthropic, base_url: http://claude.example}\n"
    )
    code, out, err = _show("claude-sonnet-4-20250514", "--provider", "claude-eu", "--json", config=config)
    assert code == 0, err
    shown = json.loads(out)
    assert shown["source"] == OVERRIDE_SOURCE
    # Left out of the override: Anthropic's cache-write multiples of its input price.
    assert shown["usd_per_million_tokens"] == {
        "input": 2.0,
        "cache_read": 0.2,
        "cache_write": 2.5,
        "cache_write_1h": 4.0,
        "output": 10.0,
        "reasoning": 10.0,
    }


def test_an_unknown_model_is_a_clear_message_and_exit_code_1() -> None:
    code, out, err = _show("llama3.2", "--provider", "ollama")
    assert (code, out) == (1, "")
    assert err.startswith("ingate: no price for model 'llama3.2' for ollama")


def test_an_unknown_provider_is_refused() -> None:
    code, out, err = _show("gpt-4o", "--provider", "nope")
    assert (code, out) == (2, "")
    assert "no provider or API format 'nope'" in err
