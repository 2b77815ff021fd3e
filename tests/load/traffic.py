"""What the load profile sends and how it judges each answer, without locust.

Kept free of locust (which patches the standard library with gevent when imported) so
the pytest process can check these functions directly. A `Kind` is one sort of request
a real application makes; its `name` is the row it gets in locust's summary.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

GPT: Final = "gpt-4o-mini"
CLAUDE: Final = "claude-sonnet-4-20250514"
EMBEDDING_MODEL: Final = "text-embedding-3-small"
OLLAMA_MODEL: Final = "llama3.2"
ANTHROPIC_VERSION: Final = "2023-06-01"

# Sizes vary on purpose: short questions and longer ones, so bodies and token counts differ.
PROMPTS: Final = (
    "Hi!",
    "Explain AI gateways in one paragraph.",
    "Summarise the plot of Hamlet in three sentences, then list its main characters.",
    "Write a haiku about load balancers.",
    "What is the difference between a process and a thread? Give an example of each.",
    "Translate 'good morning, how are you today?' into French, German and Spanish.",
)
EARLIER_REPLY: Final = "Sure, here is what I found."
USER_POOL: Final = 5_000  # distinct X-Ingate-User-Id values, so per-user rollups see many users
SESSION_TURNS: Final = (2, 12)  # requests per session, drawn per session

_decode = msgspec.json.decode
_encode = msgspec.json.encode


@dataclass
class Conversation:
    """The turns a session has had so far; each request resends them, as chat apps do."""

    prompts: list[str] = field(default_factory=list)

    def messages(self, prompt: str) -> list[dict[str, str]]:
        history: list[dict[str, str]] = []
        for earlier in self.prompts:
            history += [{"role": "user", "content": earlier}, {"role": "assistant", "content": EARLIER_REPLY}]
        return [*history, {"role": "user", "content": prompt}]


Check = Callable[[bytes], str | None]
"""Returns what is wrong with a 2xx body, or None when it is a complete, well-formed answer."""


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int
    path: str
    body: Callable[[Conversation, str], dict[str, Any]]
    check: Check
    headers: Mapping[str, str] = field(default_factory=dict)
    # The Anthropic SDK before 2.x and curl users send x-api-key; both spellings are load.
    key_header: str = "Authorization"

    def encode(self, conversation: Conversation, prompt: str) -> bytes:
        return _encode(self.body(conversation, prompt))

    def auth(self, key: str) -> dict[str, str]:
        return {"x-api-key": key} if self.key_header == "x-api-key" else {"Authorization": f"Bearer {key}"}


class Person:
    """One simulated end user: an id drawn from a pool, and sessions of a few turns each.

    Two simulated users may draw the same id, like one person on two devices."""

    def __init__(self, rng: random.Random, key: str, extra_headers: Mapping[str, str]) -> None:
        self._rng = rng
        self._key = key
        self._extra_headers = extra_headers
        self.user_id = f"load-user-{rng.randrange(USER_POOL):05d}"
        self.session_id = ""
        self._turns_left = 0
        self._conversation = Conversation()

    def next_request(self, kind: Kind) -> tuple[bytes, dict[str, str]]:
        """The body and headers of this person's next request of `kind`."""
        if self._turns_left == 0:
            self.session_id = f"load-session-{self._rng.getrandbits(64):016x}"
            self._turns_left = self._rng.randint(*SESSION_TURNS)
            self._conversation = Conversation()
        self._turns_left -= 1
        prompt = self._rng.choice(PROMPTS)
        body = kind.encode(self._conversation, prompt)
        self._conversation.prompts.append(prompt)
        headers = {
            "Content-Type": "application/json",
            **self._extra_headers,
            **kind.headers,
            **kind.auth(self._key),
            "X-Ingate-User-Id": self.user_id,
            "X-Ingate-Session-Id": self.session_id,
        }
        return body, headers


def parse_headers(text: str) -> dict[str, str]:
    """`"Name: value; Other: value"` (the --ingate-headers option) as a dict."""
    headers: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, colon, value = item.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"header {item!r} is not 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def _json(body: bytes) -> Any:
    try:
        return _decode(body)
    except msgspec.DecodeError:
        return None


def sse_events(body: bytes) -> list[tuple[str, bytes]]:
    """(event name, data) per server-sent event; the name is "message" when none is given."""
    events: list[tuple[str, bytes]] = []
    for block in body.replace(b"\r\n", b"\n").split(b"\n\n"):
        name, data = "message", b""
        for line in block.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip().decode(errors="replace")
            elif line.startswith(b"data:"):
                data = line[5:].strip()
        if data:
            events.append((name, data))
    return events


def check_chat_completion(body: bytes) -> str | None:
    answer = _json(body)
    if not isinstance(answer, dict) or answer.get("object") != "chat.completion":
        return "not a chat.completion"
    choices = answer.get("choices") or [{}]
    if not choices[0].get("finish_reason"):
        return "chat.completion without finish_reason"
    return None


def check_chat_stream(body: bytes) -> str | None:
    events = sse_events(body)
    if not events or events[-1][1] != b"[DONE]":
        return "stream ended without data: [DONE]"
    finished = False
    for _, data in events[:-1]:
        chunk = _json(data)
        if not isinstance(chunk, dict) or chunk.get("object") != "chat.completion.chunk":
            return "stream event is not a chat.completion.chunk"
        finished = finished or any(choice.get("finish_reason") for choice in chunk.get("choices") or [])
    return None if finished else "stream without a finish_reason"


def check_message(body: bytes) -> str | None:
    answer = _json(body)
    if not isinstance(answer, dict) or answer.get("type") != "message":
        return "not an Anthropic message"
    if not answer.get("stop_reason"):
        return "message without stop_reason"
    return None


def check_message_stream(body: bytes) -> str | None:
    names = [name for name, _ in sse_events(body)]
    if not names or names[0] != "message_start":
        return "stream did not start with message_start"
    if "error" in names:
        return "stream carried an error event"
    if names[-1] != "message_stop":
        return "stream ended without message_stop"
    return None


def check_embeddings(body: bytes) -> str | None:
    answer = _json(body)
    if not isinstance(answer, dict) or answer.get("object") != "list":
        return "not an embeddings list"
    data = answer.get("data") or [{}]
    if not data[0].get("embedding"):
        return "embeddings list without a vector"
    return None


def check_ollama_chat(body: bytes) -> str | None:
    answer = _json(body)
    if not isinstance(answer, dict) or answer.get("done") is not True:
        return "Ollama answer not done"
    return None


def check_ollama_stream(body: bytes) -> str | None:
    lines = [line for line in body.split(b"\n") if line.strip()]
    if not lines:
        return "empty Ollama stream"
    for line in lines:
        answer = _json(line)
        if not isinstance(answer, dict) or "error" in answer:
            return "Ollama stream line is not an answer"
    return check_ollama_chat(lines[-1])


def describe_failure(status: int, body: bytes) -> str:
    """A short label for a non-2xx answer: locust groups failures by this text, so it must not
    contain anything per request (like the request id in the message)."""
    answer = _json(body)
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return f"HTTP {status} {error.get('code') or error.get('type') or ''}".rstrip()
    if isinstance(error, str):  # Ollama's shape: the message itself
        return f"HTTP {status} {error.split('(')[0][:60].strip()}"
    return f"HTTP {status}"


def _chat(model: str, stream: bool) -> Callable[[Conversation, str], dict[str, Any]]:
    def body(conversation: Conversation, prompt: str) -> dict[str, Any]:
        system = {"role": "system", "content": "You are a concise assistant."}
        request: dict[str, Any] = {"model": model, "messages": [system, *conversation.messages(prompt)]}
        if stream:
            request |= {"stream": True, "stream_options": {"include_usage": True}}
        return request

    return body


def _messages(model: str, stream: bool) -> Callable[[Conversation, str], dict[str, Any]]:
    def body(conversation: Conversation, prompt: str) -> dict[str, Any]:
        return {
            "model": model,
            "max_tokens": 256,
            "system": "You are a concise assistant.",
            "messages": conversation.messages(prompt),
            "stream": stream,
        }

    return body


def _embeddings(conversation: Conversation, prompt: str) -> dict[str, Any]:
    return {"model": EMBEDDING_MODEL, "input": [prompt, *conversation.prompts[-3:]]}


def _ollama_chat(stream: bool) -> Callable[[Conversation, str], dict[str, Any]]:
    def body(conversation: Conversation, prompt: str) -> dict[str, Any]:
        return {"model": OLLAMA_MODEL, "messages": conversation.messages(prompt), "stream": stream}

    return body


_ANTHROPIC: Final = {"anthropic-version": ANTHROPIC_VERSION}
_TO_ANTHROPIC: Final = {"X-Ingate-Provider": "anthropic", "X-Ingate-Translate": "true"}
_TO_OPENAI: Final = {**_ANTHROPIC, "X-Ingate-Provider": "openai", "X-Ingate-Translate": "true"}

# The mix: mostly OpenAI chat, as in most deployments; every kind the edge serves differently
# (dialect, stream or not, translated or not) has a row of its own.
KINDS: Final = (
    Kind("openai.chat", 24, "/v1/chat/completions", _chat(GPT, False), check_chat_completion),
    Kind("openai.chat.stream", 20, "/v1/chat/completions", _chat(GPT, True), check_chat_stream),
    Kind(
        "anthropic.messages", 10, "/v1/messages", _messages(CLAUDE, False), check_message,
        _ANTHROPIC, "x-api-key",
    ),
    Kind(
        "anthropic.messages.stream", 10, "/v1/messages", _messages(CLAUDE, True), check_message_stream,
        _ANTHROPIC,
    ),
    Kind(
        "translate.chat-to-anthropic", 6, "/chat/completions", _chat(CLAUDE, False), check_chat_completion,
        _TO_ANTHROPIC,
    ),
    Kind(
        "translate.chat-to-anthropic.stream", 6, "/chat/completions", _chat(CLAUDE, True), check_chat_stream,
        _TO_ANTHROPIC,
    ),
    Kind(
        "translate.messages-to-openai.stream", 4, "/v1/messages", _messages(GPT, True), check_message_stream,
        _TO_OPENAI,
    ),
    Kind("openai.embeddings", 10, "/v1/embeddings", _embeddings, check_embeddings),
    Kind("ollama.chat", 4, "/api/chat", _ollama_chat(False), check_ollama_chat),
    Kind("ollama.chat.stream", 6, "/api/chat", _ollama_chat(True), check_ollama_stream),
)  # fmt: skip
