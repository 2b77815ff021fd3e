"""Serving a request whose model names a route: attempts in the route's order until one answers.

Retries happen only before anything reached the caller: an attempt that failed to connect,
timed out before its answer began, or answered with a status in the route's `retry_on`
(5xx, 429) is given up and the next deployment tried; the first answer that is not such a
failure is passed on, streamed or whole, and a stream that breaks after that is the
caller's error, never spliced from another. The key's admission was made once, before the
first attempt, and is settled once, with the usage of the attempt that answered.
"""

import time
from typing import Any

from ingate_contracts import KeyRecord
from ingate_edge import errors
from ingate_edge.cooldowns import Cooldowns
from ingate_edge.errors import GatewayError
from ingate_edge.exchange import Exchange
from ingate_edge.forward import open_upstream, relay
from ingate_edge.headers import InboundHeaders
from ingate_edge.paths import ApiPath
from ingate_edge.routing.attempts import AttemptLog, failure_class
from ingate_edge.routing.hints import wait_hint_s
from ingate_edge.routing.rewrite import retarget
from ingate_edge.routing.table import Deployment, VirtualModel
from ingate_edge.target import Target, native_target, translated_target
from ingate_edge.translated import plan_translation
from ingate_edge.translator_client import TranslatorClient
from ingate_edge.upstream_http import EXCHANGE_FAILED, UpstreamResponse

# An SDK that says it waits longer than this is not taken at its word for retries.
_MAX_CALLER_TIMEOUT_S = 3600.0
_NOT_ALLOWED = "provider not allowed for this key"
# X-Ingate-Attempts values, made once (max_attempts is at most 10).
_COUNTS = tuple(str(count).encode() for count in range(11))


def _count(attempts: int) -> bytes:
    return _COUNTS[attempts] if attempts < len(_COUNTS) else str(attempts).encode()


class Router:
    def __init__(self, cooldowns: Cooldowns, translator: TranslatorClient) -> None:
        self.cooldowns = cooldowns
        self.translator = translator

    async def serve(
        self,
        exchange: Exchange,
        virtual: VirtualModel,
        api: ApiPath,
        key: KeyRecord,
        inbound: InboundHeaders,
        body: bytes,
        query: bytes,
        send: Any,
        receive: Any,
    ) -> None:
        record = exchange.record
        cooldowns = self.cooldowns
        deadline = _deadline(inbound.timeout, record.ts)
        attempts = AttemptLog(record.attempt_errors)
        forward = inbound.forward
        caller_headers = len(forward)  # the first attempt adds its credential to the list itself
        for deployment in virtual.plan(cooldowns, record.ts):
            now = time.time()
            if now >= deadline:
                break
            if not cooldowns.available(deployment.id, now):  # another request is probing it
                attempts.skipped(deployment.id, "cooling down")
                continue
            upstream = deployment.upstream
            if key.providers and upstream.name not in key.providers:
                attempts.skipped(deployment.id, _NOT_ALLOWED)
                continue
            # Coroutines are few on purpose: this loop runs for every routed request.
            record.provider = upstream.name
            record.model = deployment.model
            routed_body, tail = retarget(
                api, body, virtual.name_json, deployment.model, deployment.model_json
            )
            headers = forward if record.attempts == 0 else forward[:caller_headers]
            if upstream.accepts(api.format):
                record.translated = False
                target = native_target(
                    api, tail, upstream, "POST", query, headers, routed_body, record.stream
                )
            else:
                translated = await self._translated(exchange, deployment, api, headers, routed_body)
                if translated is None:
                    attempts.skipped(deployment.id, "untranslatable")
                    continue
                target = translated
            record.attempts += 1
            record.attempt_targets.append(deployment.id)
            load = deployment.load
            load.in_flight += 1
            try:
                started = time.perf_counter()
                try:
                    response = await open_upstream(exchange, target)
                except GatewayError as err:
                    self._unanswered(virtual, deployment, err, attempts)
                    continue
                if response.status < 400:
                    cooldowns.succeeded(deployment.id)
                elif self._failed(virtual, deployment, response, record.error_type, attempts):
                    await _discard(response)
                    continue
                if virtual.measures_ttfb:
                    load.observe_ttfb((time.perf_counter() - started) * 1000.0)
                headers_out = (
                    (b"x-ingate-target", deployment.label),
                    (b"x-ingate-attempts", _count(record.attempts)),
                )
                await relay(exchange, target, response, send, receive, headers_out)
                return
            finally:
                load.in_flight -= 1
        record.provider = record.model = ""
        record.translated = False
        if record.attempts == 0 and set(attempts.skips) == {_NOT_ALLOWED}:
            raise GatewayError(
                errors.PROVIDER_NOT_ALLOWED,
                f"This Ingate API key may use none of the providers of route {virtual.name!r}.",
            )
        raise attempts.all_failed(virtual.name, record.attempts)

    async def _translated(
        self,
        exchange: Exchange,
        deployment: Deployment,
        api: ApiPath,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> Target | None:
        """The attempt in the deployment's own format, made by the translator; None when the
        caller's shape has no pair with the shape the deployment's format is sent."""
        upstream = deployment.upstream
        try:
            translation = plan_translation(api, upstream, True, self.translator, exchange.traceparent)
        except GatewayError:
            return None
        exchange.traceparent = translation.traceparent
        record = exchange.record
        record.translated = True
        return await translated_target(
            translation, upstream, "POST", headers, body, model=deployment.model, stream=record.stream
        )

    def _unanswered(
        self, virtual: VirtualModel, deployment: Deployment, err: GatewayError, attempts: AttemptLog
    ) -> None:
        """An attempt that got no answer (connect error, timeout): raises unless the route retries it."""
        self.cooldowns.failed(deployment.id, time.time(), virtual.cooldown_s, None, err.error_type)
        retry_class = failure_class(err.error_type, err.status)
        if retry_class is None or retry_class not in virtual.retry_on:
            raise err
        attempts.failed(deployment.id, err.error_type)

    def _failed(
        self,
        virtual: VirtualModel,
        deployment: Deployment,
        response: UpstreamResponse,
        error_type: str,
        attempts: AttemptLog,
    ) -> bool:
        """Whether this answer (an error status; `error_type` as open_upstream recorded it) is a
        failure the route retries, else it goes to the caller."""
        status = response.status
        retry_class = failure_class(error_type, status)
        if retry_class is None:
            self.cooldowns.succeeded(deployment.id)
            return False
        now = time.time()
        wait_s = wait_hint_s(response.raw_headers, now) if status == 429 else None
        self.cooldowns.failed(deployment.id, now, virtual.cooldown_s, wait_s, error_type)
        if retry_class not in virtual.retry_on:
            return False
        attempts.failed(deployment.id, error_type)
        attempts.waiting(wait_s)
        return True


async def _discard(response: UpstreamResponse) -> None:
    """Read a failed attempt's (small) error body so its connection goes back to the pool."""
    try:
        await response.read()
    except EXCHANGE_FAILED:
        pass
    finally:
        await response.release()


def _deadline(timeout: bytes | None, started: float) -> float:
    """Unix time after which the caller no longer waits (the SDK's own timeout), or infinity."""
    if timeout is not None:
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = 0.0
        if 0.0 < seconds <= _MAX_CALLER_TIMEOUT_S:
            return started + seconds
    return float("inf")
