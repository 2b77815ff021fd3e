"""Ollama's format: what Ingate answers itself on its paths, and the usage of the legacy embeddings."""

import json

import pytest
from ollama import ListResponse, ProcessResponse, ShowResponse

from ingate_providers import FORMATS, Endpoint, Reported, Usage
from ingate_providers.ollama import API_VERSION, OLLAMA


def endpoint(name: str) -> Endpoint:
    return next(e for e in OLLAMA.endpoints if e.name == name)


def test_show_of_a_model_elsewhere_parses_as_the_clients_show() -> None:
    body = OLLAMA.local_answer(endpoint("show"), "smart")
    assert body is not None
    shown = ShowResponse.model_validate_json(body)
    assert shown.capabilities == ["completion", "tools"]
    assert shown.details is not None and shown.modelinfo == {}
    assert "smart" in (shown.modelfile or "")


def test_ps_and_version() -> None:
    ps = OLLAMA.local_answer(endpoint("ps"), "")
    assert ps is not None and list(ProcessResponse.model_validate_json(ps).models) == []
    assert json.loads(OLLAMA.local_answer(endpoint("version"), "") or b"") == {"version": API_VERSION}


@pytest.mark.parametrize("name", ["chat", "generate", "embed", "embeddings", "tags"])
def test_the_rest_go_to_a_provider(name: str) -> None:
    assert OLLAMA.local_answer(endpoint(name), "llama3.2") is None


def test_other_formats_answer_nothing_themselves() -> None:
    for fmt in FORMATS.values():
        if fmt is not OLLAMA:
            assert all(fmt.local_answer(e, "gpt-4o") is None for e in fmt.endpoints)


def test_a_route_in_the_tags_parses_as_the_clients_model() -> None:
    listed = ListResponse.model_validate({"models": [OLLAMA.model_entry("smart")]})
    assert listed.models[0].model == "smart"
    assert listed.models[0].details is not None


def test_legacy_embeddings_report_no_usage() -> None:
    usage = Usage()
    assert OLLAMA.read_usage(b'{"embedding": [0.1, 0.2]}', usage) == Reported.NOTHING
    assert usage == Usage()


def test_chat_and_generate_are_translated_as_ollama_shapes_and_sent_as_openai_chat() -> None:
    assert (endpoint("chat").shape, endpoint("generate").shape) == ("ollama-chat", "ollama-generate")
    assert OLLAMA.backend_shape == "openai-chat"
    assert all(endpoint(name).shape is None for name in ("show", "ps", "version", "embeddings"))
