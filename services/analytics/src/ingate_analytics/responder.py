"""The subscribe / decode / answer / reply loop every query the analytics service answers shares.

A responder serves one subject in the analytics queue group (so replicas share the queries) and
always replies: with its answer, with "bad <what>: <reason>" for a query it refuses, with the
whole text of a `Refusal` (such as NO_SUCH_REQUEST, which callers match exactly), or with
"<what> failed: <reason>" when the database fails. A bad query never stops it serving.
"""

import logging
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

import msgspec
from nats.aio.client import Client

from ingate_analytics.query_rules import BadQuery
from ingate_analytics.sink import ClickHouseSink
from ingate_contracts.lookup import LookupFailure
from ingate_contracts.usage import USAGE_QUEUE_GROUP

log = logging.getLogger("ingate.analytics")

Q = TypeVar("Q", bound=msgspec.Struct)

_MAX_ERROR_CHARS = 300


class Refusal(Exception):
    """A query answered with exactly this error (not prefixed), one a caller may match on."""


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:_MAX_ERROR_CHARS] or type(exc).__name__


class Responder(ABC, Generic[Q]):
    """Answers queries of type `query_type` on its subject (`default_subject` unless a test gives one
    of its own) from the database behind `sink`."""

    what: str  # e.g. "usage query", as the error replies name it
    query_type: type[Q]
    default_subject: str

    def __init__(self, client: Client, sink: ClickHouseSink, *, subject: str | None = None) -> None:
        self.client = client
        self.sink = sink
        self.subject = subject or self.default_subject
        self._decode = msgspec.json.Decoder(self.query_type).decode
        self._sub: Any = None

    async def start(self) -> None:
        self._sub = await self.client.subscribe(self.subject, queue=USAGE_QUEUE_GROUP, cb=self._handle)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    @abstractmethod
    async def answer(self, query: Q) -> msgspec.Struct:
        """The reply to a decoded query; raises BadQuery or Refusal to refuse it."""

    def failure(self, error: str) -> msgspec.Struct:
        """The reply saying `error`; a responder with its own failure type overrides this."""
        return LookupFailure(error=error)

    async def _handle(self, msg: Any) -> None:
        if not msg.reply:
            return
        try:
            reply = await self.answer(self._decode(msg.data))
        except Refusal as exc:
            reply = self.failure(str(exc))
        except (msgspec.DecodeError, BadQuery) as exc:
            reply = self.failure(f"bad {self.what}: {exc}")
        except Exception as exc:  # the database failed: say so, keep serving
            log.warning("%s failed: %s", self.what, exc)
            reply = self.failure(f"{self.what} failed: {one_line(exc)}")
        await msg.respond(msgspec.json.encode(reply))
