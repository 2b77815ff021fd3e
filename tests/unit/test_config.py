"""Configuration: YAML plus environment, env wins, and one clear line for every bad setting."""

from pathlib import Path

import pytest

from ingate_config import ConfigError, load_settings


def test_defaults_have_the_four_builtin_providers_at_public_urls() -> None:
    settings = load_settings(environ={})
    assert settings.nats_url == "nats://127.0.0.1:4222"
    assert settings.edge.port == 8080
    assert settings.data_dir == "./var"
    assert settings.clickhouse_url is None
    urls = {name: p.base_url for name, p in settings.providers.items()}
    assert urls == {
        "openai": "https://api.openai.com/v1",
        "anthropic": "https://api.anthropic.com",
        "ollama": "http://localhost:11434",
        "gemini": "https://generativelanguage.googleapis.com",
    }
    assert all(p.api_key is None for p in settings.providers.values())


def test_documented_environment_variables_override_builtins() -> None:
    settings = load_settings(
        environ={
            "INGATE_OPENAI_BASE_URL": "http://up:1/v1",
            "INGATE_OPENAI_API_KEY": "sk-o",
            "INGATE_ANTHROPIC_BASE_URL": "http://up:2",
            "INGATE_ANTHROPIC_API_KEY": "sk-a",
            "INGATE_OLLAMA_BASE_URL": "http://up:3",
            "INGATE_GEMINI_BASE_URL": "http://up:4",
            "INGATE_GEMINI_API_KEY": "AIza-g",
            "INGATE_NATS_URL": "nats://n:4333",
            "INGATE_EDGE_PORT": "9090",
            "INGATE_DATA_DIR": "/tmp/ingate-data",
            "CLICKHOUSE_URL": "http://ch:8123",
            "INGATE_EDGE_WORKERS": "3",
            "INGATE_RUN_START_TIMEOUT_S": "45",
        }
    )
    assert settings.edge.workers == 3
    assert settings.run.start_timeout_s == 45.0
    assert load_settings(environ={}).run.start_timeout_s == 600.0
    assert settings.providers["openai"].base_url == "http://up:1/v1"
    assert settings.providers["openai"].api_key == "sk-o"
    assert settings.providers["anthropic"].api_key == "sk-a"
    assert settings.providers["ollama"].base_url == "http://up:3"
    assert (settings.providers["gemini"].base_url, settings.providers["gemini"].api_key) == (
        "http://up:4",
        "AIza-g",
    )
    assert settings.providers["openai"].base_url_configured
    assert not load_settings(environ={}).providers["openai"].base_url_configured
    assert settings.nats_url == "nats://n:4333"
    assert settings.edge.port == 9090
    assert settings.data_dir == "/tmp/ingate-data"
    assert settings.clickhouse_url == "http://ch:8123"


def test_front_door_limits_from_environment_and_file(tmp_path: Path) -> None:
    defaults = load_settings(environ={}).edge
    assert (defaults.max_headers, defaults.header_timeout_s) == (100, 10.0)
    assert (defaults.body_timeout_s, defaults.max_connections) == (60.0, 10_000)
    config = tmp_path / "ingate.yaml"
    config.write_text("edge:\n  max_headers: 50\n  header_timeout_s: 3\n  max_connections: 7\n")
    edge = load_settings(
        str(config), environ={"INGATE_EDGE_BODY_TIMEOUT_S": "2.5", "INGATE_EDGE_MAX_HEADERS": "60"}
    ).edge
    assert (edge.max_headers, edge.header_timeout_s, edge.body_timeout_s, edge.max_connections) == (
        60,
        3.0,
        2.5,
        7,
    )


def test_usual_sdk_key_variables_are_honoured_but_ingate_ones_win() -> None:
    settings = load_settings(environ={"OPENAI_API_KEY": "sk-plain", "ANTHROPIC_API_KEY": "sk-ant"})
    assert settings.providers["openai"].api_key == "sk-plain"
    assert settings.providers["anthropic"].api_key == "sk-ant"
    both = load_settings(environ={"OPENAI_API_KEY": "sk-plain", "INGATE_OPENAI_API_KEY": "sk-ingate-wins"})
    assert both.providers["openai"].api_key == "sk-ingate-wins"


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"GOOGLE_API_KEY": "AIza-google"}, "AIza-google"),
        ({"GOOGLE_API_KEY": "AIza-google", "GEMINI_API_KEY": "AIza-gemini"}, "AIza-gemini"),
        ({"GEMINI_API_KEY": "AIza-gemini", "INGATE_GEMINI_API_KEY": "AIza-ingate"}, "AIza-ingate"),
        ({}, None),
    ],
)
def test_gemini_takes_its_key_from_either_of_googles_variables(
    environ: dict[str, str], key: str | None
) -> None:
    assert load_settings(environ=environ).providers["gemini"].api_key == key


def test_yaml_file_defines_aliases_and_env_wins_over_it(tmp_path: Path) -> None:
    config = tmp_path / "ingate.yaml"
    config.write_text(
        """
nats_url: nats://from-file:4222
edge:
  port: 7000
  max_body_bytes: 1000
providers:
  - name: groq
    format: openai
    base_url: https://api.groq.com/openai/v1
    api_key_env: GROQ_KEY
    models: ["llama-*"]
    read_timeout_s: 30
  - name: openai
    base_url: https://proxy.example/v1
"""
    )
    settings = load_settings(str(config), environ={"GROQ_KEY": "gsk", "INGATE_EDGE_PORT": "7001"})
    groq = settings.providers["groq"]
    assert (groq.format, groq.base_url, groq.api_key, groq.models, groq.read_timeout_s) == (
        "openai",
        "https://api.groq.com/openai/v1",
        "gsk",
        ["llama-*"],
        30.0,
    )
    assert settings.providers["openai"].base_url == "https://proxy.example/v1"
    assert settings.providers["openai"].format == "openai"
    assert settings.nats_url == "nats://from-file:4222"
    assert settings.edge.port == 7001
    assert settings.edge.max_body_bytes == 1000


def test_config_path_can_come_from_ingate_config(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("edge: {port: 6500}\n")
    assert load_settings(environ={"INGATE_CONFIG": str(config)}).edge.port == 6500


def test_alias_defined_only_by_environment() -> None:
    settings = load_settings(
        environ={
            "INGATE_MY_LLM_FORMAT": "anthropic",
            "INGATE_MY_LLM_BASE_URL": "https://llm.internal",
            "INGATE_MY_LLM_API_KEY": "k",
        }
    )
    assert settings.providers["my-llm"].format == "anthropic"
    assert settings.providers["my-llm"].api_key == "k"


def test_credentials_never_show_in_repr() -> None:
    settings = load_settings(environ={"INGATE_OPENAI_API_KEY": "sk-secret-value"})
    assert "sk-secret-value" not in repr(settings)
    assert "sk-secret-value" not in str(settings.providers)


BAD_ENVIRONMENTS = [
    ({"INGATE_EDGE_PORT": "eighty"}, "INGATE_EDGE_PORT"),
    ({"INGATE_EDGE_PORT": "70000"}, "edge.port"),
    ({"INGATE_EDGE_MAX_BODY_BYTES": "0"}, "edge.max_body_bytes"),
    ({"INGATE_EDGE_WORKERS": "0"}, "edge.workers"),
    ({"INGATE_RUN_START_TIMEOUT_S": "-5"}, "run.start_timeout_s"),
    ({"INGATE_EDGE_MAX_HEADERS": "-1"}, "edge.max_headers"),
    ({"INGATE_EDGE_HEADER_TIMEOUT_S": "-1"}, "edge.header_timeout_s"),
    ({"INGATE_EDGE_BODY_TIMEOUT_S": "-5"}, "edge.body_timeout_s"),
    ({"INGATE_EDGE_MAX_CONNECTIONS": "-1"}, "edge.max_connections"),
    ({"INGATE_OPENAI_BASE_URL": "api.openai.com"}, "providers.openai.base_url"),
    ({"INGATE_NATS_URL": "http://nats:4222"}, "nats_url"),
    ({"CLICKHOUSE_URL": "tcp://ch"}, "clickhouse_url"),
    ({"INGATE_X_FORMAT": "cohere", "INGATE_X_BASE_URL": "http://x"}, "providers.x.format"),
    ({"INGATE_X_FORMAT": "openai"}, "providers.x.base_url"),
    ({"INGATE_SLOWPOKE_FORMAT": "openai", "INGATE_SLOWPOKE_BASE_URL": "http://x",
      "INGATE_SLOWPOKE_READ_TIMEOUT_S": "-1"}, "providers.slowpoke.read_timeout_s"),
    ({"INGATE_OPENAI_CONNECT_TIMEOUT_S": "soon"}, "INGATE_OPENAI_CONNECT_TIMEOUT_S"),
    ({"INGATE_CONFIG": "/nonexistent/ingate.yaml"}, "INGATE_CONFIG"),
]  # fmt: skip


@pytest.mark.parametrize(("environ", "setting"), BAD_ENVIRONMENTS)
def test_bad_environment_fails_with_one_line_naming_the_setting(
    environ: dict[str, str], setting: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    message = str(caught.value)
    assert caught.value.setting == setting
    assert message.startswith(f"invalid setting {setting}: ")
    assert "\n" not in message


BAD_FILES = [
    ("edge: [1, 2]\n", "edge"),
    ("edge: {port: many}\n", "edge.port"),
    ("edge: {prot: 1}\n", "edge"),
    ("providers: {openai: {}}\n", "providers"),
    ("providers:\n  - format: openai\n", "providers[0].name"),
    ("providers:\n  - name: Bad Name\n    format: openai\n    base_url: http://x\n", "providers[0].name"),
    ("providers:\n  - name: edge\n    format: openai\n    base_url: http://x\n", "providers[0].name"),
    ("providers:\n  - name: g\n    format: openai\n    base_url: http://x\n    colour: red\n", "providers.g"),
    ("providers:\n  - name: g\n    format: openai\n    base_url: http://x\n    api_key_env: [1]\n",
     "providers.g.api_key_env"),
    ("providers:\n  - name: g\n    format: openai\n    base_url: http://x\n"
     "  - name: g\n    format: openai\n    base_url: http://y\n", "providers[1].name"),
    ("key: [unclosed\n", "--config"),
    ("- just\n- a list\n", "--config"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "setting"), BAD_FILES)
def test_bad_file_fails_with_one_line_naming_the_setting(tmp_path: Path, text: str, setting: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(config), environ={})
    assert caught.value.setting == setting, str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_shipped_example_configuration_loads() -> None:
    example = Path(__file__).parents[2] / "deploy" / "ingate.example.yaml"
    settings = load_settings(str(example), environ={"OPENAI_API_KEY": "sk-o", "GROQ_API_KEY": "gsk"})
    assert settings.providers["groq"].models == ["llama-*", "mixtral-*"]
    assert settings.providers["openai"].api_key == "sk-o"
    assert not settings.providers["openai"].missing_credential


def test_the_shipped_example_loads_with_no_credential_set() -> None:
    """As shipped and with nothing exported: every command works; the providers whose variables
    are unset are marked, for the edge to warn at start and answer their requests with 503."""
    example = Path(__file__).parents[2] / "deploy" / "ingate.example.yaml"
    settings = load_settings(str(example), environ={})
    assert settings.providers["groq"].missing_credential == "GROQ_API_KEY"
    assert settings.providers["openai"].missing_credential == "OPENAI_API_KEY"
    assert settings.providers["groq"].api_key is None


def test_price_overrides_from_yaml_and_prices_file(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("prices:\n  my-model: {input: 1.0, output: 2.0}\n")
    prices = tmp_path / "prices.yaml"
    prices.write_text("gpt-4o: {input: 9.0, output: 9.0, cached_input: 1.0}\n")
    settings = load_settings(str(config), environ={"INGATE_PRICES_FILE": str(prices)})
    assert settings.prices["my-model"].input == 1.0
    assert settings.prices["gpt-4o"].cached_input == 1.0


def test_price_overrides_take_every_token_kind(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "prices:\n  m: {input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, cache_write_1h: 6,"
        " reasoning: 20}\n"
    )
    price = load_settings(str(config), environ={}).prices["m"]
    assert (price.cache_read, price.cache_write, price.cache_write_1h, price.reasoning) == (0.3, 3.75, 6, 20)


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("prices:\n  m: {input: cheap, output: 1}\n", "prices"),
        ("prices:\n  m: {input: 1}\n", "prices"),
        ("prices:\n  m: {input: -1, output: 1}\n", "prices"),
        ("prices:\n  m: {input: 1, output: 1, cache_read: 0.1, cached_input: 0.1}\n", "prices"),
        ("prices:\n  m: {input: 1, output: 1, cache_write_5m: 2}\n", "prices"),
    ],
)
def test_bad_prices_fail_at_start(tmp_path: Path, text: str, setting: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(config), environ={})
    assert caught.value.setting.startswith(setting)
