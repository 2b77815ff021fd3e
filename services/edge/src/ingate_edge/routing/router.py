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

import aiohttp

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
from ingate_edge.routing.rewrite import with_model
from ingate_edge.routing.table import Deployment, VirtualModel
from ingate_edge.target import Target, native_target, translated_target
from ingate_edge.translated import plan_translation
from ingate_edge.translator_client import TranslatorClient

# An SDK that says it waits longer than this is not taken at its word for retries.
_MAX_CALLER_TIMEOUT_S = 3600.0


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
        for deployment in virtual.plan(cooldowns, record.ts):
            now = time.time()
            if now >= deadline:
                break
            if not cooldowns.available(deployment.id, now):  # another request is probing it
                attempts.skipped(deployment.id, "cooling down")
                continue
            if key.providers and deployment.upstream.name not in key.providers:
                attempts.skipped(deployment.id, "provider not allowed for this key")
                continue
            target = await self._target(exchange, virtual, deployment, api, inbound, body, query)
            if target is None:
                attempts.skipped(deployment.id, "untranslatable")
                continue
            record.attempts += 1
            load = deployment.load
            load.in_flight += 1
            try:
                response = await self._attempt(exchange, virtual, deployment, target, attempts)
                if response is None:
                    continue
                headers = (
                    (b"x-ingate-target", deployment.label),
                    (b"x-ingate-attempts", b"%d" % record.attempts),
                )
                await relay(exchange, target, response, send, receive, headers)
                return
            finally:
                load.in_flight -= 1
        record.provider = record.model = ""
        record.translated = False
        if record.attempts == 0 and set(attempts.skips) == {"provider not allowed for this key"}:
            raise GatewayError(
                errors.PROVIDER_NOT_ALLOWED,
                f"This Ingate API key may use none of the providers of route {virtual.name!r}.",
            )
        raise attempts.all_failed(virtual.name, record.attempts)

    async def _target(
        self,
        exchange: Exchange,
        virtual: VirtualModel,
        deployment: Deployment,
        api: ApiPath,
        inbound: InboundHeaders,
        body: bytes,
        query: bytes,
    ) -> Target | None:
        """What this attempt sends: the caller's body asking for the deployment's model, in the
        deployment's format (through the translator when it speaks another); None when this
        endpoint cannot be translated into the deployment's format."""
        record = exchange.record
        upstream = deployment.upstream
        record.provider = upstream.name
        record.model = deployment.model
        body = with_model(body, virtual.name_json, deployment.model, deployment.model_json)
        headers = list(inbound.forward)  # each attempt adds its own credential
        if upstream.accepts(api.format):
            record.translated = False
            return native_target(api, "", upstream, "POST", query, headers, body, record.stream)
        try:
            translation = plan_translation(api, upstream, True, self.translator, exchange.traceparent)
        except GatewayError:
            return None
        exchange.traceparent = translation.traceparent
        record.translated = True
        return await translated_target(translation, upstream, "POST", query, headers, body)

    async def _attempt(
        self,
        exchange: Exchange,
        virtual: VirtualModel,
        deployment: Deployment,
        target: Target,
        attempts: AttemptLog,
    ) -> aiohttp.ClientResponse | None:
        """The response to pass on, or None when this attempt failed in a way the route retries."""
        record = exchange.record
        started = time.perf_counter()
        try:
            response = await open_upstream(exchange, target)
        except GatewayError as err:
            retry_class = failure_class(err.error_type, err.status)
            self.cooldowns.failed(deployment.id, time.time(), virtual.cooldown_s, None, err.error_type)
            if retry_class is None or retry_class not in virtual.retry_on:
                raise
            attempts.failed(deployment.id, err.error_type)
            return None
        retry_class = failure_class(record.error_type, response.status)
        if retry_class is None:
            self.cooldowns.succeeded(deployment.id)
            deployment.load.observe_ttfb((time.perf_counter() - started) * 1000.0)
            return response
        now = time.time()
        wait_s = wait_hint_s(response.raw_headers, now) if response.status == 429 else None
        self.cooldowns.failed(deployment.id, now, virtual.cooldown_s, wait_s, record.error_type)
        if retry_class not in virtual.retry_on:
            return response
        attempts.failed(deployment.id, record.error_type)
        attempts.waiting(wait_s)
        await _discard(response)
        return None


async def _discard(response: aiohttp.ClientResponse) -> None:
    """Read a failed attempt's (small) error body so its connection goes back to the pool."""
    try:
        await response.read()
    except (aiohttp.ClientError, TimeoutError):
        pass
    finally:
        response.release()


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
