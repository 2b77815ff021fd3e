"""The cache entry's name: exact match on every part, and no two sets of parts alike."""

import pytest

from ingate_edge.cache import entry_name

BASE = ("key_1", "openai", "/v1/chat/completions?", "openai", b'{"model":"gpt-4o"}')


@pytest.mark.parametrize(
    "other",
    [
        ("key_2", *BASE[1:]),
        ("shared", *BASE[1:]),
        (BASE[0], "groq", *BASE[2:]),
        (*BASE[:2], "/chat/completions?", *BASE[3:]),
        (*BASE[:2], "/v1/chat/completions?alt=sse", *BASE[3:]),
        (*BASE[:3], "anthropic", BASE[4]),
        (*BASE[:4], b'{"model":"gpt-4o","stream":true}'),
        (*BASE[:4], BASE[4] + b" "),
        # The boundary between two parts moved: still another name.
        ("key_1openai", "", *BASE[2:]),
        (*BASE[:2], "/v1/chat/completions?openai", "", BASE[4]),
    ],
)
def test_every_part_changes_the_name(other: tuple[str, str, str, str, bytes]) -> None:
    assert entry_name(*other) != entry_name(*BASE)


def test_the_same_request_has_the_same_name() -> None:
    assert entry_name(*BASE) == entry_name(*BASE)
    assert len(entry_name(*BASE)) == 64
