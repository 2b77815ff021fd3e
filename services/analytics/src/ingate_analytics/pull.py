"""Pull requests on a durable JetStream consumer, delivered to a plain subscription callback.

nats-py's `PullSubscription.fetch` was the analytics service's limit: it awaits each
message through `Subscription.next_msg`, which costs a task, a `wait_for` and a uuid4 per
message, on top of parsing the message itself. Profiled while draining a backlog, that and
`Msg.metadata` (the ack subject turned into dataclasses and a datetime) took over a quarter
of the consumer's busy event loop. Here the same pull protocol is spoken directly: publish a request to
`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` with a reply subject of our own, and let
the subscription's callback hand each delivery on as it is parsed. nats-py still parses
the wire protocol, headers and all, and still builds each `Msg`; only the per-message
waiting and the metadata objects are gone.

One request is outstanding at a time. It ends when as many messages as asked for have
arrived (the server then sends nothing more), or with a status message on its own reply
subject: 404/408 when fewer were available before it expired, 409 and others when the
server refuses it. Statuses of requests given up on earlier (each request has a reply
subject of its own) are told apart and ignored.
"""

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Final

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger("ingate.analytics")

# Statuses that only say the request ended with fewer messages than asked for.
_QUIET_ENDS: Final = frozenset({"404", "408"})
# A request whose end was never seen (e.g. the connection dropped meanwhile) is given up
# this long after it should have expired.
_LOST_AFTER_S: Final = 1.0


class PullFeed:
    """Messages of one durable consumer, pulled on demand and handed to `on_message` one by one."""

    def __init__(
        self,
        client: Client,
        stream: str,
        durable: str,
        on_message: Callable[[Msg], None],
        *,
        api_prefix: str = "$JS.API",
    ) -> None:
        self.client = client
        self.on_message = on_message
        self._next_subject = f"{api_prefix}.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._inbox = client.new_inbox()
        self._numbers = itertools.count(1)
        self._sub: Subscription | None = None
        self._reply = ""  # the outstanding request's reply subject; "" when none is
        self._left = 0  # messages the outstanding request may still bring
        self._gone_at = 0.0  # monotonic time after which it counts as lost
        self._wakeup = asyncio.Event()  # set when the outstanding request ends, or by `wake`
        self.refusal: str | None = None  # why the server refused the last request, if it did

    async def start(self) -> None:
        self._sub = await self.client.subscribe(f"{self._inbox}.*", cb=self._receive)

    @property
    def outstanding(self) -> bool:
        if self._reply and time.monotonic() > self._gone_at:
            self._end()
        return bool(self._reply)

    async def request(self, batch: int, expires_s: float) -> None:
        """Ask for up to `batch` messages, waiting on the server up to `expires_s` for them."""
        if batch < 1 or expires_s <= 0:
            raise ValueError("batch and expires_s must be positive")
        self._reply = f"{self._inbox}.{next(self._numbers)}"
        self._left = batch
        self._gone_at = time.monotonic() + expires_s + _LOST_AFTER_S
        self.refusal = None
        payload = json.dumps({"batch": batch, "expires": int(expires_s * 1e9)}).encode()
        try:
            await self.client.publish(self._next_subject, payload, reply=self._reply)
        except BaseException:
            self._end()
            raise

    async def wait(self, timeout_s: float) -> None:
        """Until the outstanding request ends, `wake` is called, or `timeout_s` passes (the
        request's messages keep coming meanwhile)."""
        if not self.outstanding or timeout_s <= 0:
            return
        self._wakeup.clear()
        timeout_s = min(timeout_s, self._gone_at - time.monotonic())
        try:
            await asyncio.wait_for(self._wakeup.wait(), max(0.0, timeout_s))
        except TimeoutError:
            return

    def wake(self) -> None:
        """End a `wait` early: the caller has something to do before the request ends."""
        self._wakeup.set()

    async def stop(self) -> None:
        """Stop receiving; deliveries already received are still handed on first."""
        sub, self._sub = self._sub, None
        self._end()
        if sub is None:
            return
        if self.client.is_connected:
            await sub.drain()  # type: ignore[no-untyped-call]  # nats-py leaves it unannotated
        else:  # nothing can arrive meanwhile, and a drain would wait for the server
            await sub.unsubscribe()

    async def _receive(self, msg: Msg) -> None:
        if msg.reply:  # a delivery: its reply subject is where it is acknowledged
            self._left -= 1
            if self._left == 0:
                self._end()
            self.on_message(msg)
            return
        if msg.subject != self._reply:
            return  # the end of a request given up on before
        status = (msg.headers or {}).get("Status", "")
        if status not in _QUIET_ENDS:
            description = (msg.headers or {}).get("Description", "")
            self.refusal = f"{status} {description}".strip() or "an empty status message"
            log.warning("JetStream refused a pull request on %s: %s", self._next_subject, self.refusal)
        self._end()

    def _end(self) -> None:
        self._reply = ""
        self._left = 0
        self._wakeup.set()


def delivery_info(reply: str) -> tuple[int, float] | None:
    """How many times a message was delivered, and when the stream stored it (Unix seconds),
    read from its ack subject with one split; None for a subject that is not one.

    `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ns>.<pending>`, or
    the longer form with domain and account hash after `$JS.ACK` (and maybe a token after)."""
    tokens = reply.split(".")
    if tokens[:2] != ["$JS", "ACK"]:
        return None
    try:
        if len(tokens) == 9:
            return int(tokens[4]), int(tokens[7]) / 1e9
        if len(tokens) >= 11:
            return int(tokens[6]), int(tokens[9]) / 1e9
    except ValueError:
        return None
    return None
