"""Every Python example of the user guide, run verbatim against a live edge.

Only the base URL and the API key are substituted. Fragments that continue an
earlier example get that example's `client` from a preamble; the example text
itself is never edited.
"""

import asyncio
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import Edge, Translators
from tests.support.events import tap_records

GUIDE = Path(__file__).parent / "guide"
GUIDE_URL = "http://localhost:8080"
GUIDE_KEY = "sk-ingate-your-key"

OPENAI_CLIENT = f'import openai\nclient = openai.OpenAI(base_url="{GUIDE_URL}", api_key="{GUIDE_KEY}")\n'
ANTHROPIC_CLIENT = (
    f'import anthropic\nclient = anthropic.Anthropic(base_url="{GUIDE_URL}", api_key="{GUIDE_KEY}")\n'
)
PREAMBLES = {
    "explicit_provider.py": "import openai\n",
    "streaming.py": OPENAI_CLIENT,
    "tracking.py": "import openai\n",
    "translation.py": "import openai\n",
    "anthropic_streaming.py": ANTHROPIC_CLIENT,
    "per_request_tracking.py": OPENAI_CLIENT
    + "import types\n"
    + "current_user = types.SimpleNamespace(id='user_from_app')\n"
    + "session = types.SimpleNamespace(id='sess_from_app')\n",
}
POSTAMBLES = {
    "per_request_tracking.py": "print(response.choices[0].message.content)\n",
    "multi_provider.py": (
        "for c in (default_client, openai_client, tracked_client):\n"
        "    r = c.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', 'content': 'hi'}])\n"
        "    print(r.choices[0].message.content)\n"
    ),
}


async def run_example(name: str, edge: Edge, key: str, postamble: str | None = None) -> str:
    source = (GUIDE / name).read_text()
    assert GUIDE_URL in source or name in PREAMBLES, f"{name} no longer names the guide's base URL"
    program = (
        PREAMBLES.get(name, "") + source + (postamble if postamble is not None else POSTAMBLES.get(name, ""))
    )
    program = program.replace(GUIDE_URL, edge.url).replace(GUIDE_KEY, key)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        program,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, f"{name} failed:\n{err.decode()}"
    return out.decode()


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("app.py", "gpt-4o"),
        ("explicit_provider.py", "gpt-4o"),
        ("streaming.py", "gpt-4o"),
        ("anthropic_sdk.py", "claude-sonnet-4-20250514"),
        ("anthropic_streaming.py", "claude-sonnet-4-20250514"),
        ("async_example.py", "gpt-4o"),
    ],
)
async def test_example_prints_the_providers_answer(
    name: str, model: str, edge: Edge, ingate_key: str
) -> None:
    output = await run_example(name, edge, ingate_key)
    assert output.startswith(f"Mock reply from {model}:"), output
    assert "Traceback" not in output


async def test_error_handling_example_reads_request_id_from_the_completion(
    edge: Edge, ingate_key: str
) -> None:
    output = await run_example("error_handling.py", edge, ingate_key)
    lines = output.strip().splitlines()
    assert lines[0].startswith("Mock reply from gpt-4o:")
    assert re.fullmatch(r"Request ID: req_[0-9a-f]{24}", lines[-1]), output


async def test_error_handling_example_reports_a_bad_key(edge: Edge) -> None:
    output = await run_example("error_handling.py", edge, "sk-ingate-not-a-real-key-000000")
    assert output.strip() == "Invalid Ingate API key"


async def test_tracking_examples_attribute_requests_to_user_and_session(edge: Edge, ingate_key: str) -> None:
    async with tap_records(edge.nats_url) as tap:
        output = await run_example("tracking.py", edge, ingate_key)
        per_request = await run_example("per_request_tracking.py", edge, ingate_key)
        records = await tap.wait_for(2)
    assert output.startswith("Mock reply from gpt-4o:")
    assert per_request.startswith("Mock reply from gpt-4o:")
    seen = {(r.user_id, r.session_id) for r in records}
    assert ("user_abc123", "sess_xyz789") in seen
    assert ("user_from_app", "sess_from_app") in seen


async def test_multi_provider_example_clients_that_need_no_translation(edge: Edge, ingate_key: str) -> None:
    output = await run_example("multi_provider.py", edge, ingate_key)
    lines = output.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("Mock reply from gpt-4o:") for line in lines)


async def test_translation_example(edge: Edge, ingate_key: str, translators: Translators) -> None:
    output = await run_example("translation.py", edge, ingate_key)
    assert output.startswith("Mock reply from claude-sonnet-4-20250514: Hello, Claude!")


async def test_multi_provider_example_claude_client(
    edge: Edge, ingate_key: str, translators: Translators
) -> None:
    source_postamble = (
        "r = claude_client.chat.completions.create(model='claude-sonnet-4-20250514', "
        "messages=[{'role': 'user', 'content': 'hi claude'}])\n"
        "print(r.choices[0].message.content)\n"
    )
    output = await run_example("multi_provider.py", edge, ingate_key, postamble=source_postamble)
    assert output.strip().splitlines()[-1].startswith("Mock reply from claude-sonnet-4-20250514: hi claude")
