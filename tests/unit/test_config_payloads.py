"""Payload capture settings: the redaction list from YAML or one variable, checked at load."""

from pathlib import Path

import pytest

from ingate_config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('["sk-[a-z]{3,5}", "\\\\d{16}"]', ["sk-[a-z]{3,5}", r"\d{16}"]),
        ('  ["one"]  ', ["one"]),
        ("sk-[a-z]{3,5}\n\\d{16}\n", ["sk-[a-z]{3,5}", r"\d{16}"]),
        ("only one, with a comma", ["only one, with a comma"]),
        ("first\n\n   \nsecond", ["first", "second"]),
    ],
)
def test_redact_variable_is_a_json_array_or_one_regex_per_line(value: str, expected: list[str]) -> None:
    settings = load_settings(environ={"INGATE_PAYLOADS_REDACT": value})
    assert settings.payloads.redact == expected


def test_payload_variables_are_read() -> None:
    settings = load_settings(environ={"INGATE_PAYLOADS_ENABLED": "true", "INGATE_PAYLOADS_MAX_BYTES": "1024"})
    assert settings.payloads.enabled is True
    assert settings.payloads.max_bytes == 1024


def test_an_invalid_regex_from_the_variable_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"INGATE_PAYLOADS_REDACT": "fine\n(unclosed"})
    assert caught.value.setting == "INGATE_PAYLOADS_REDACT[1]"
    assert "'(unclosed' is not a valid regular expression" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_invalid_regex_from_yaml_names_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "ingate.yaml"
    config.write_text("payloads:\n  redact: ['ok', '[z-a]']\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(str(config), environ={})
    assert caught.value.setting == "payloads.redact[1]"


def test_a_broken_json_array_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"INGATE_PAYLOADS_REDACT": '["unterminated'})
    assert caught.value.setting == "INGATE_PAYLOADS_REDACT"
    with pytest.raises(ConfigError):
        load_settings(environ={"INGATE_PAYLOADS_REDACT": "[1, 2]"})


def test_max_bytes_must_be_positive() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"INGATE_PAYLOADS_MAX_BYTES": "0"})
    assert caught.value.setting == "payloads.max_bytes"
