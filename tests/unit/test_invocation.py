"""The CLI's hints name the command as it can be typed where it runs."""

import pytest

from ingate_cli.invocation import is_it_running, typed


@pytest.mark.parametrize(
    ("uv", "expected"),
    [
        ("/usr/local/bin/uv", "uv run ingate keys create"),
        ("", "ingate keys create"),
        (None, "ingate keys create"),
    ],
)
def test_a_hint_says_uv_run_only_under_uv(
    monkeypatch: pytest.MonkeyPatch, uv: str | None, expected: str
) -> None:
    if uv is None:
        monkeypatch.delenv("UV", raising=False)
    else:
        monkeypatch.setenv("UV", uv)
    assert typed("keys create") == expected
    assert is_it_running() == f"is `{expected.removesuffix(' keys create')} run` running?"
