"""Signatures over the thinking the mock shows, checked when a later turn sends it back.

Real providers sign their reasoning (Anthropic's thinking `signature`, OpenAI's reasoning
`encrypted_content`, Gemini's `thoughtSignature`) and refuse a turn whose signature was
lost or altered; the mock does the same, so a gateway that drops or rewrites one is caught.
"""

import base64
import hashlib
import hmac

_KEY = b"ingate-mock-thinking"


def sign(thinking: str) -> str:
    """The signature the mock issues for `thinking`."""
    digest = hmac.new(_KEY, thinking.encode(), hashlib.sha256).digest()
    return base64.b64encode(b"sig1" + digest).decode()


def valid(thinking: str, signature: str) -> bool:
    """Whether `signature` is the one the mock issued for `thinking`."""
    return hmac.compare_digest(sign(thinking), signature)


def seal(data: str) -> str:
    """Opaque encrypted-reasoning data (Anthropic's redacted_thinking, OpenAI's reasoning
    `encrypted_content`) the mock can open again; it carries its own MAC, so any change to it
    is noticed, as the providers' authenticated encryption notices one."""
    raw = data.encode()
    digest = hmac.new(_KEY, b"red1" + raw, hashlib.sha256).digest()
    return base64.b64encode(b"red1" + digest + raw).decode()


def opened(sealed: str) -> str | None:
    """What `seal` sealed, or None when `sealed` is not the mock's or was altered."""
    try:
        raw = base64.b64decode(sealed, validate=True)
    except ValueError:
        return None
    digest, data = raw[4:36], raw[36:]
    if not raw.startswith(b"red1") or len(digest) != 32:
        return None
    expected = hmac.new(_KEY, b"red1" + data, hashlib.sha256).digest()
    return data.decode(errors="replace") if hmac.compare_digest(expected, digest) else None
