"""Helpers for the translation tests: stream runners, SDK-type checks, and SDK clients
whose HTTP transport runs the translator against canned backend replies."""

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import anthropic
import httpx2
import msgspec
import openai
import pydantic
from anthropic.types import RawMessageStreamEvent
from openai.types.chat import ChatCompletionChunk

from ingate_edge.sse import SseFramer
from ingate_providers import Shape
from ingate_translate import (
    CodecPair,
    SseEvent,
    TranslatedRequest,
    TranslationError,
    encode_sse,
    get_pair,
    ir,
)

CREATED = 1_700_000_000
DONE = SseEvent("", "[DONE]")
Json = dict[str, Any]

THINKING_FIELDS = {"reasoning_content", "thinking_blocks"}
STREAM_EVENT: pydantic.TypeAdapter[RawMessageStreamEvent] = pydantic.TypeAdapter(RawMessageStreamEvent)


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()


def anthropic_events(*items: Json) -> list[SseEvent]:
    """Anthropic backend events, named by their type as Anthropic sends them."""
    return [SseEvent(item["type"], json.dumps(item)) for item in items]


def openai_events(*chunks: Json, done: bool = True) -> list[SseEvent]:
    """OpenAI backend events: unnamed, one chunk each, then `[DONE]` unless the stream was cut."""
    events = [SseEvent("", json.dumps(chunk)) for chunk in chunks]
    return [*events, DONE] if done else events


# -- pairs from the registry ---------------------------------------------------


def parse_sse(body: bytes) -> list[SseEvent]:
    """A caller's SSE bytes as events, framed as the edge frames a provider's."""
    framer = SseFramer()
    return [SseEvent(event, data) for event, data in [*framer.feed(body), *framer.flush()]]


class Pair:
    """A registry pair as the tables drive it: no hints, the stream's context kept in its
    state, and the caller's stream bytes parsed back into events."""

    def __init__(self, client: Shape, backend: Shape) -> None:
        pair = get_pair(client, backend)
        assert pair is not None
        self.pair: CodecPair = pair
        self.client, self.backend = client, backend

    def request(
        self, body: bytes, created: int | None = None, hints: ir.Hints | None = None
    ) -> TranslatedRequest:
        return self.pair.request(body, hints or ir.Hints(), created)

    def response(self, context: bytes, body: bytes) -> bytes:
        return self.pair.response(context, body)

    def error(self, context: bytes, status: int, body: bytes) -> tuple[int, bytes]:
        return self.pair.error(context, status, body)

    def reject(self, error: TranslationError) -> tuple[int, bytes]:
        return self.pair.reject(error)

    def stream_start(self, context: bytes) -> bytes:
        return msgspec.msgpack.encode((context, b""))

    def stream(self, state: bytes, events: list[SseEvent], final: bool) -> tuple[bytes, list[SseEvent]]:
        context, inner = msgspec.msgpack.decode(state, type=tuple[bytes, bytes])
        inner, out = self.pair.stream(inner, context, events, final)
        return msgspec.msgpack.encode((context, inner)), parse_sse(out)


def context_of(translated: TranslatedRequest) -> ir.Context:
    return msgspec.msgpack.decode(translated.context, type=ir.Context)


# -- stream runners ----------------------------------------------------------


def batchings(count: int) -> Iterator[list[int]]:
    """Batch sizes: all at once, one at a time, every two-way split, and seeded random partitions."""
    yield [count]
    yield [1] * count
    for cut in range(1, count):
        yield [cut, count - cut]
    rng = random.Random(count)
    for _ in range(12):
        cuts = sorted(rng.sample(range(1, count), k=rng.randint(1, count - 1))) if count > 1 else []
        edges = [0, *cuts, count]
        yield [b - a for a, b in pairwise(edges)]


def run_stream(
    pair: Pair, context: bytes, events: list[SseEvent], sizes: list[int], final_apart: bool = False
) -> list[SseEvent]:
    """Feed `events` in batches of `sizes`; `final` rides on the last batch or comes alone after it."""
    state = pair.stream_start(context)
    out: list[SseEvent] = []
    start = 0
    for number, size in enumerate(sizes):
        last = number == len(sizes) - 1
        state, produced = pair.stream(state, events[start : start + size], last and not final_apart)
        out.extend(produced)
        start += size
    if final_apart:
        state, produced = pair.stream(state, [], True)
        out.extend(produced)
    state, after = pair.stream(state, events[-1:], True)  # a finished stream stays finished
    assert after == []
    return out


def run_split_bytes(pair: Pair, context: bytes, raw: bytes, cut: int) -> list[SseEvent]:
    """The provider's SSE bytes cut at `cut`, each piece framed as the edge frames what it reads."""
    framer = SseFramer()
    state = pair.stream_start(context)
    out: list[SseEvent] = []
    for piece in (raw[:cut], raw[cut:]):
        state, produced = pair.stream(state, [SseEvent(e, d) for e, d in framer.feed(piece)], False)
        out.extend(produced)
    state, produced = pair.stream(state, [SseEvent(e, d) for e, d in framer.flush()], True)
    return out + produced


def run_every_batching(pair: Pair, context: bytes, events: list[SseEvent]) -> list[SseEvent]:
    """The translated stream, after checking it is identical under every batching of the events,
    and with the provider's bytes cut at offsets all through them."""
    reference = run_stream(pair, context, events, [len(events)])
    for sizes in batchings(len(events)):
        for final_apart in (False, True):
            got = run_stream(pair, context, events, sizes, final_apart)
            assert got == reference, f"batch sizes {sizes}, final apart: {final_apart}"
    raw = encode_sse(events)
    for cut in range(0, len(raw) + 1, max(len(raw) // 97, 1)):
        assert run_split_bytes(pair, context, raw, cut) == reference, f"bytes cut at {cut}"
    return reference


# -- shape checks --------------------------------------------------------------


def assert_known_fields(value: object, where: str = "$") -> None:
    """Every field in an SDK model is one the SDK declares (they accept extras silently)."""
    if isinstance(value, pydantic.BaseModel):
        extra = set(value.model_extra or ())
        if where.endswith((".message", ".delta")):  # the thinking extension of chat messages
            extra -= THINKING_FIELDS
        assert not extra, f"unknown fields at {where}: {sorted(extra)}"
        for name in type(value).model_fields:
            assert_known_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_known_fields(item, f"{where}[{i}]")


def openai_chunks(out: list[SseEvent]) -> list[ChatCompletionChunk]:
    """Checks an OpenAI client stream (unnamed events, one `[DONE]` at the end) and parses its chunks."""
    assert out and out[-1] == DONE
    assert out.count(DONE) == 1
    assert all(item.event == "" for item in out)
    chunks = []
    for item in out[:-1]:
        data = json.loads(item.data)
        if "error" in data:
            continue
        chunk = ChatCompletionChunk.model_validate(data)
        assert_known_fields(chunk)
        chunks.append(chunk)
    return chunks


def anthropic_stream(out: list[SseEvent]) -> list[RawMessageStreamEvent]:
    """Checks an Anthropic client stream event by event, and its grammar when it is complete."""
    events: list[RawMessageStreamEvent] = []
    for item in out:
        data = json.loads(item.data)
        assert item.event == data["type"]
        if item.event == "error":
            assert item is out[-1], "nothing may follow an error event"
            assert set(data) == {"type", "error"} and set(data["error"]) == {"type", "message"}
            continue
        parsed = STREAM_EVENT.validate_python(data)
        assert_known_fields(parsed)
        events.append(parsed)
    if out and out[-1].event != "error":
        assert_block_grammar(events)
    return events


def assert_block_grammar(events: list[RawMessageStreamEvent]) -> None:
    """message_start once; blocks start, take deltas, stop, in index order; message_delta, message_stop."""
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds.count("message_start") == 1
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("message_delta") == 1 and kinds.count("message_stop") == 1
    open_block: tuple[int, str] | None = None
    next_index = 0
    for event in events[1:-2]:
        if event.type == "content_block_start":
            assert open_block is None and event.index == next_index
            open_block = (event.index, event.content_block.type)
            next_index += 1
        elif event.type == "content_block_delta":
            assert open_block is not None and event.index == open_block[0]
            expected = {
                "text": {"text_delta"},
                "tool_use": {"input_json_delta"},
                "thinking": {"thinking_delta", "signature_delta"},
            }[open_block[1]]
            assert event.delta.type in expected
        elif event.type == "content_block_stop":
            assert open_block is not None and event.index == open_block[0]
            open_block = None
        else:
            raise AssertionError(f"unexpected {event.type} between message_start and message_delta")
    assert open_block is None


# -- SDK clients over a translating transport ---------------------------------


@dataclass
class Reply:
    """What the backend answers: a JSON body (with a status) or a stream of events."""

    status: int = 200
    body: bytes = b""
    events: list[SseEvent] | None = None


@dataclass
class Gateway:
    """Plays the gateway: translates the SDK's request, answers from `reply`, translates back."""

    pair: Pair
    reply: Callable[[TranslatedRequest], Reply]
    requests: list[TranslatedRequest] = field(default_factory=list)

    def handle(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        json_type = {"content-type": "application/json"}
        try:
            translated = self.pair.request(body)
        except TranslationError as exc:
            status, payload = self.pair.reject(exc)
            return status, json_type, payload
        self.requests.append(translated)
        reply = self.reply(translated)
        if reply.status >= 400:
            status, payload = self.pair.error(translated.context, reply.status, reply.body)
            return status, json_type, payload
        if reply.events is None:
            return 200, json_type, self.pair.response(translated.context, reply.body)
        state = self.pair.stream_start(translated.context)
        out: list[SseEvent] = []
        for item in reply.events:  # one event per batch, as a slow backend would deliver them
            state, produced = self.pair.stream(state, [item], False)
            out.extend(produced)
        state, produced = self.pair.stream(state, [], True)
        out.extend(produced)
        return 200, {"content-type": "text/event-stream"}, encode_sse(out)

    def openai(self) -> openai.OpenAI:
        def handler(request: httpx2.Request) -> httpx2.Response:
            status, headers, content = self.handle(request.read())
            return httpx2.Response(status, headers=headers, content=content)

        transport = httpx2.Client(transport=httpx2.MockTransport(handler))
        return openai.OpenAI(
            api_key="k", base_url="http://gateway.test/v1", http_client=transport, max_retries=0
        )

    def anthropic(self) -> anthropic.Anthropic:
        def handler(request: httpx2.Request) -> httpx2.Response:
            status, headers, content = self.handle(request.read())
            return httpx2.Response(status, headers=headers, content=content)

        transport = httpx2.Client(transport=httpx2.MockTransport(handler))
        return anthropic.Anthropic(
            api_key="k", base_url="http://gateway.test", http_client=transport, max_retries=0
        )
