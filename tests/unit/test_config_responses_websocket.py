"""`responses_websocket`: on by default only for OpenAI's own API, set from YAML or the environment."""

from pathlib import Path

import pytest

from ingate_config import ConfigError, load_settings

EXAMPLE = Path(__file__).parents[2] / "deploy" / "ingate.example.yaml"


def test_on_by_default_only_for_an_openai_provider_at_openais_api() -> None:
    settings = load_settings(
        environ={
            "INGATE_COMPAT_FORMAT": "openai",
            "INGATE_COMPAT_BASE_URL": "http://compat:8000/v1",
            "INGATE_PROXIED_FORMAT": "openai",
            "INGATE_PROXIED_BASE_URL": "https://api.openai.com/v1",
            "INGATE_CLAUDE_FORMAT": "anthropic",
            "INGATE_CLAUDE_BASE_URL": "https://api.openai.com",
        }
    )
    offered = {name: p.responses_websocket for name, p in settings.providers.items()}
    assert offered == {
        "openai": True,
        "proxied": True,
        "compat": False,
        "claude": False,
        "anthropic": False,
        "ollama": False,
        "gemini": False,
    }


def test_the_openai_provider_moved_elsewhere_has_it_off() -> None:
    settings = load_settings(environ={"INGATE_OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert settings.providers["openai"].responses_websocket is False


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)])
def test_the_environment_sets_it_and_wins_over_the_file(tmp_path: Path, value: str, expected: bool) -> None:
    config = tmp_path / "ingate.yaml"
    config.write_text(
        "providers:\n  - name: local\n    format: openai\n    base_url: http://local/v1\n"
        f"    responses_websocket: {str(not expected).lower()}\n"
    )
    environ = {"INGATE_LOCAL_RESPONSES_WEBSOCKET": value, "INGATE_OPENAI_RESPONSES_WEBSOCKET": value}
    settings = load_settings(str(config), environ=environ)
    assert settings.providers["local"].responses_websocket is expected
    assert settings.providers["openai"].responses_websocket is expected


def test_yaml_sets_it_per_provider() -> None:
    settings = load_settings(str(EXAMPLE), environ={"OPENAI_API_KEY": "sk-o", "GROQ_API_KEY": "gsk"})
    assert settings.providers["openai"].responses_websocket is True
    assert settings.providers["groq"].responses_websocket is False


def test_a_bad_value_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"INGATE_OPENAI_RESPONSES_WEBSOCKET": "sometimes"})
    assert caught.value.setting == "INGATE_OPENAI_RESPONSES_WEBSOCKET"
    config = tmp_path / "ingate.yaml"
    config.write_text("providers:\n  - name: g\n    format: openai\n    base_url: http://g\n"
                      "    responses_websocket: [1]\n")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_settings(str(config), environ={})
    assert caught.value.setting.startswith("providers.g")
