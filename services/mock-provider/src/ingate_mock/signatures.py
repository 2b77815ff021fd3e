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
    """Opaque encrypted-reasoning data (Anthropic's redacted_thinking) the mock can open again."""
    return base64.b64encode(b"red1" + data.encode()).decode()


def opened(sealed: str) -> str | None:
    """What `seal` sealed, or None when `sealed` is not the mock's."""
    try:
        raw = base64.b64decode(sealed, validate=True)
    except ValueError:
        return None
    return raw[4:].decode(errors="replace") if raw.startswith(b"red1") else None
