"""Console sign-ins: a random session id in an HttpOnly cookie, the session itself in NATS KV.

The cookie never holds the admin token; the session holds only the token's hash, so every request
re-checks that the token is still active and a revoked token ends its sessions at once. Any admin
replica reads the same bucket, so it does not matter which one a browser reaches.
"""

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.datastructures import Cookie
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from ingate_admin.runtime import AdminRuntime
from ingate_nats.buckets import console_sessions_bucket

SESSION_COOKIE: Final = "ingate_console"
# How long a sign-in lasts, however busy; the bucket's TTL is the same, so nothing outlives it.
SESSION_TTL_S: Final = 12 * 3600
# The form field every console form carries its CSRF token in.
CSRF_FIELD: Final = "csrf"
# What `secrets.token_urlsafe` makes; anything else in the cookie is not a session (and could be
# a KV wildcard).
_SESSION_ID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class ConsoleSession(msgspec.Struct, kw_only=True):
    token_hash: str
    name: str
    csrf: str
    signed_in_at: float
    # Keys created in this session and not yet shown: id -> the key sealed (see `reveal`), removed
    # when shown.
    unshown_keys: dict[str, str] = {}


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(ConsoleSession).decode


class SignInRequired(Exception):
    """No session, an expired one, or one whose token was revoked: the sign-in page."""


class CsrfRefused(Exception):
    """A console POST without its session's CSRF token."""


@dataclass
class SignedIn:
    """The `signed_in` dependency: who is signed in, as the audit trail names them."""

    session_id: str
    session: ConsoleSession
    bucket: KeyValue

    @property
    def actor(self) -> str:
        return f"admin:{self.session.name}"

    async def save(self) -> None:
        await self.bucket.put(self.session_id, _encode(self.session))


def console_cookie(
    request: Request[Any, Any, Any], key: str, value: str, max_age: int, path: str = "/"
) -> Cookie:
    """A console cookie: never readable by a script, never sent by another site's page."""
    return Cookie(
        key=key,
        value=value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        # Secure when the browser came over https (uvicorn honours X-Forwarded-Proto from a
        # trusted proxy); over plain loopback http a Secure cookie would never come back.
        secure=request.url.scheme == "https",
    )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(expected) and secrets.compare_digest(expected, given)


async def start_session(runtime: AdminRuntime, token_hash: str, name: str) -> str:
    """A new session for a verified token; its id, for the cookie."""
    session_id = new_secret()
    session = ConsoleSession(token_hash=token_hash, name=name, csrf=new_secret(), signed_in_at=time.time())
    await (await console_sessions_bucket(runtime.client)).put(session_id, _encode(session))
    return session_id


async def end_session(runtime: AdminRuntime, session_id: str) -> None:
    await (await console_sessions_bucket(runtime.client)).delete(session_id)


async def _stored(bucket: KeyValue, session_id: str) -> ConsoleSession | None:
    try:
        entry = await bucket.get(session_id)
    except KeyNotFoundError:
        return None
    if not entry.value:
        return None
    try:
        return _decode(entry.value)
    except msgspec.DecodeError:
        return None


async def signed_in(request: Request[Any, Any, Any], runtime: AdminRuntime) -> SignedIn:
    """The console pages' dependency: the caller's live session, and on a POST its CSRF token."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not _SESSION_ID_RE.match(session_id):
        raise SignInRequired
    bucket = await console_sessions_bucket(runtime.client)
    session = await _stored(bucket, session_id)
    if session is None or time.time() - session.signed_in_at > SESSION_TTL_S:
        raise SignInRequired
    if await runtime.tokens.verify_hash(session.token_hash) is None:
        await bucket.delete(session_id)
        raise SignInRequired
    if request.method == "POST":
        form = await request.form()
        if not csrf_matches(session.csrf, form.get(CSRF_FIELD)):
            raise CsrfRefused
    return SignedIn(session_id=session_id, session=session, bucket=bucket)
