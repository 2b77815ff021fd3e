"""Routes in the configuration: the `routes:` list, INGATE_ROUTES_FILE, and one clear line for
every bad route, naming where it was written."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingate_config import RETRY_CLASSES, ConfigError, RouteConfig, RouteTarget, Settings, load_settings

REPO = Path(__file__).parents[2]

# The design's example, verbatim: a bare 429 in YAML is a number.
CONTRACT = """
providers:
  - name: openai-eu
    format: openai
    base_url: https://eu.api.openai.example/v1
routes:
  - name: smart
    strategy: weighted
    targets:
      - {provider: openai, model: gpt-4o, weight: 3}
      - {provider: openai-eu, model: gpt-4o, weight: 1}
    fallbacks:
      - {provider: anthropic, model: claude-sonnet-4-20250514}
    retry_on: [connect, timeout, 5xx, 429]
    max_attempts: 3
    cooldown_s: 30
"""

# groq allows two globs and one exact name; the exact name is a real model, the globs are not.
GROQ = {"name": "groq", "format": "openai", "base_url": "https://groq.example/v1"}
PROVIDERS = [{**GROQ, "models": ["llama-*", "mixtral-8x7b"]}]
GPT = {"provider": "openai", "model": "gpt-4o"}


def route(name: str = "smart", **fields: Any) -> dict[str, Any]:
    return {"name": name, "targets": [GPT], **fields}


def load(tmp_path: Path, config: dict[str, Any], routes_file: Any = None, suffix: str = ".yaml") -> Settings:
    path = tmp_path / "ingate.yaml"
    path.write_text(yaml.safe_dump({"providers": PROVIDERS, **config}))
    environ = {}
    if routes_file is not None:
        file = tmp_path / f"routes{suffix}"
        file.write_text(json.dumps(routes_file) if suffix == ".json" else yaml.safe_dump(routes_file))
        environ["INGATE_ROUTES_FILE"] = str(file)
    return load_settings(str(path), environ=environ)


def test_the_design_example_loads_as_written(tmp_path: Path) -> None:
    config = tmp_path / "ingate.yaml"
    config.write_text(CONTRACT)
    smart = load_settings(str(config), environ={}).routes["smart"]
    assert smart == RouteConfig(
        name="smart",
        strategy="weighted",
        targets=[
            RouteTarget(provider="openai", model="gpt-4o", weight=3),
            RouteTarget(provider="openai-eu", model="gpt-4o", weight=1),
        ],
        fallbacks=[RouteTarget(provider="anthropic", model="claude-sonnet-4-20250514")],
        retry_on=["connect", "timeout", "5xx", "429"],
        max_attempts=3,
        cooldown_s=30.0,
    )
    assert smart.attempt_limit == 3


@pytest.mark.parametrize(
    ("fields", "attempt_limit"),
    [
        ({}, 1),
        ({"fallbacks": [{"provider": "anthropic", "model": "claude-sonnet-4"}]}, 2),
        ({"targets": [GPT] * 3, "fallbacks": [GPT] * 4}, 5),  # targets + fallbacks, at most 5
        ({"targets": [GPT] * 3, "max_attempts": 7}, 7),
        ({"max_attempts": 1, "fallbacks": [GPT]}, 1),
    ],
)
def test_defaults_are_applied(tmp_path: Path, fields: dict[str, Any], attempt_limit: int) -> None:
    smart = load(tmp_path, {"routes": [route(**fields)]}).routes["smart"]
    assert smart.attempt_limit == attempt_limit
    assert (smart.strategy, smart.retry_on, smart.cooldown_s) == ("weighted", list(RETRY_CLASSES), 30.0)
    assert all(t.weight == 1 for t in smart.targets)
    if "fallbacks" not in fields:
        assert smart.fallbacks == []
    if "max_attempts" not in fields:
        assert smart.max_attempts is None


@pytest.mark.parametrize("text", ["", "routes:\n", "routes: []\n", "edge: {port: 1}\n"])
def test_no_routes_section_means_no_routes(tmp_path: Path, text: str) -> None:
    config = tmp_path / "ingate.yaml"
    config.write_text(text)
    assert load_settings(str(config), environ={}).routes == {}
    assert load_settings(environ={}).routes == {}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_routes_file_alone(tmp_path: Path, suffix: str) -> None:
    listed = [route("fast", retry_on=["connect", 429]), route("org/model:tag@v1.2_x", strategy="latency")]
    settings = load(tmp_path, {}, routes_file=listed, suffix=suffix)
    assert list(settings.routes) == ["fast", "org/model:tag@v1.2_x"]
    assert settings.routes["fast"].retry_on == ["connect", "429"]
    assert settings.routes["org/model:tag@v1.2_x"].strategy == "latency"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_routes_file_merges_by_name_and_wins(tmp_path: Path, suffix: str) -> None:
    in_config = [
        route("a"),
        # Replaced whole by the file's "b", so its target model "c" is free for the file's route "c".
        route("b", targets=[{"provider": "openai", "model": "c"}]),
        route("d"),
    ]
    in_file = [route("c"), route("b", strategy="least-busy", cooldown_s=5)]
    settings = load(tmp_path, {"routes": in_config}, routes_file=in_file, suffix=suffix)
    assert list(settings.routes) == ["a", "b", "d", "c"]  # a replaced route keeps its place
    b = settings.routes["b"]
    assert (b.strategy, b.cooldown_s) == ("least-busy", 5.0)
    assert b.targets == [RouteTarget(provider="openai", model="gpt-4o")]


@pytest.mark.parametrize(
    "name",
    # A glob of an allow-list, a priced name and more, a vendor's name alone. (`mixtral-8x7b-fast`
    # is refused: the catalog counts every `mixtral-8x7b...` as that model.)
    ["llama-fast", "gpt-4o-router", "mixtral-fast", "claude"],
)
def test_names_that_only_resemble_models_are_allowed(tmp_path: Path, name: str) -> None:
    assert name in load(tmp_path, {"routes": [route(name)]}).routes


def test_an_empty_allow_list_allows_every_model(tmp_path: Path) -> None:
    provider = {"name": "open", "format": "openai", "base_url": "http://open.example/v1", "models": []}
    config = tmp_path / "ingate.yaml"
    config.write_text(
        yaml.safe_dump({"providers": [provider], "routes": [route(targets=[{**GPT, "provider": "open"}])]})
    )
    assert load_settings(str(config), environ={}).routes["smart"].targets[0].provider == "open"


T0 = "routes[0].targets[0]"
BAD_ROUTES: list[tuple[list[Any], str]] = [
    ([{"targets": [GPT]}], "routes[0].name"),
    (["smart"], "routes[0].name"),
    ([route("")], "routes[0].name"),
    ([route("has space")], "routes[0].name"),
    ([route("é")], "routes[0].name"),
    ([route("x" * 129)], "routes[0].name"),
    ([route("ok"), route("ok")], "routes[1].name"),
    ([{"name": "smart"}], "routes[0].targets"),
    ([route(targets=[])], "routes[0].targets"),
    ([route(targets="gpt-4o")], "routes[0].targets"),
    ([route(strategy="random")], "routes[0].strategy"),
    ([route(retry_on=["connect", "4xx"])], "routes[0].retry_on[1]"),
    ([route(retry_on=[500])], "routes[0].retry_on[0]"),
    ([route(colour="red")], "routes[0]"),
    ([route(targets=[{**GPT, "colour": "red"}])], T0),
    ([route(targets=[{**GPT, "provider": "nope"}])], f"{T0}.provider"),
    ([route(targets=[{"model": "gpt-4o"}])], T0),
    ([route(), route("b", fallbacks=[{**GPT, "provider": "nope"}])], "routes[1].fallbacks[0].provider"),
    ([route(targets=[GPT, {**GPT, "model": ""}])], "routes[0].targets[1].model"),
    ([route(targets=[{**GPT, "model": "  "}])], f"{T0}.model"),
    ([route(targets=[{**GPT, "weight": 0}])], f"{T0}.weight"),
    ([route(targets=[{**GPT, "weight": 1_000_001}])], f"{T0}.weight"),
    ([route(targets=[{**GPT, "weight": 2.5}])], f"{T0}.weight"),
    ([route(targets=[{**GPT, "weight": "heavy"}])], f"{T0}.weight"),
    ([route(fallbacks=[{**GPT, "weight": -1}])], "routes[0].fallbacks[0].weight"),
    ([route(max_attempts=0)], "routes[0].max_attempts"),
    ([route(max_attempts=11)], "routes[0].max_attempts"),
    ([route(cooldown_s=-1)], "routes[0].cooldown_s"),
    ([route(cooldown_s=86_401)], "routes[0].cooldown_s"),
    ([route(cooldown_s="soon")], "routes[0].cooldown_s"),
    ([route(targets=[{"provider": "groq", "model": "gpt-4o"}])], f"{T0}.model"),  # not in groq's allow-list
    ([route(fallbacks=[{"provider": "groq", "model": "mixtral"}])], "routes[0].fallbacks[0].model"),
    ([route("gpt-4o-mini")], "routes[0].name"),  # in the price catalog
    ([route("mixtral-8x7b")], "routes[0].name"),  # an exact entry of groq's allow-list
    ([route("claude-sonnet-4-20250514")], "routes[0].name"),  # a snapshot the catalog knows
    ([route("my-model", targets=[{**GPT, "model": "my-model"}])], "routes[0].name"),  # its own target
    ([route("a", targets=[{**GPT, "model": "b"}]), route("b")], "routes[1].name"),  # another's target
    ([route("b"), route("a", fallbacks=[{**GPT, "model": "b"}])], "routes[0].name"),  # another's fallback
]


@pytest.mark.parametrize(("routes", "setting"), BAD_ROUTES)
def test_bad_route_fails_with_one_line_naming_the_setting(
    tmp_path: Path, routes: list[Any], setting: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"routes": routes})
    assert caught.value.setting == setting, str(caught.value)
    assert str(caught.value).startswith(f"invalid setting {setting}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("routes", [{"smart": {"targets": [GPT]}}, "smart", 3])
def test_routes_that_are_not_a_list_fail(tmp_path: Path, routes: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"routes": routes})
    assert caught.value.setting == "routes"


def test_a_price_override_names_a_real_model(tmp_path: Path) -> None:
    prices = {"house-model": {"input": 1.0, "output": 1.0}}
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"prices": prices, "routes": [route("house-model")]})
    assert caught.value.setting == "routes[0].name"
    assert "house-model" in load(tmp_path, {"routes": [route("house-model")]}).routes


BAD_ROUTES_FILES: list[tuple[Any, list[Any], str]] = [
    ([route(targets=[{**GPT, "provider": "nope"}])], [], "INGATE_ROUTES_FILE[0].targets[0].provider"),
    ([route(), route()], [], "INGATE_ROUTES_FILE[1].name"),
    ([route(max_attempts=99)], [route()], "INGATE_ROUTES_FILE[0].max_attempts"),
    ([route("b")], [route("a", targets=[{**GPT, "model": "b"}])], "INGATE_ROUTES_FILE[0].name"),
    ({"routes": [route()]}, [], "INGATE_ROUTES_FILE"),
    ("smart", [], "INGATE_ROUTES_FILE"),
]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize(("in_file", "in_config", "setting"), BAD_ROUTES_FILES)
def test_bad_routes_file_names_the_variable(
    tmp_path: Path, suffix: str, in_file: Any, in_config: list[Any], setting: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"routes": in_config}, routes_file=in_file, suffix=suffix)
    assert caught.value.setting == setting, str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("missing.yaml", None),
        ("routes.json", b'[{"name": "smart",'),
        ("routes.yaml", b"- name: [unclosed\n"),
        ("routes.yaml", b"- name: \xff\xfe\n"),
        ("a-directory", b""),
    ],
)
def test_unreadable_routes_file_fails_at_start(tmp_path: Path, name: str, content: bytes | None) -> None:
    path = tmp_path / name
    if name == "a-directory":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"INGATE_ROUTES_FILE": str(path)})
    assert caught.value.setting == "INGATE_ROUTES_FILE"
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_readme_example_loads(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL) if "routes:" in b)
    config = tmp_path / "ingate.yaml"
    config.write_text(example)
    smart = load_settings(str(config), environ={}).routes["smart"]
    assert [t.provider for t in (*smart.targets, *smart.fallbacks)] == ["openai", "openai-eu", "anthropic"]
    assert smart.retry_on == list(RETRY_CLASSES)


def test_the_commented_example_route_in_the_example_config_loads(tmp_path: Path) -> None:
    example = (REPO / "deploy" / "ingate.example.yaml").read_text(encoding="utf-8")
    start = example.index("# routes:")
    uncommented = example[:start] + "\n".join(line[2:] for line in example[start:].splitlines())
    config = tmp_path / "ingate.yaml"
    config.write_text(uncommented)
    settings = load_settings(str(config), environ={"OPENAI_API_KEY": "sk-o", "GROQ_API_KEY": "gsk"})
    assert list(settings.routes) == ["smart"]
    assert settings.routes["smart"].fallbacks
