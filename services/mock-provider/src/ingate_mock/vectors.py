"""Deterministic unit-length embedding vectors derived from the input text."""

from __future__ import annotations

import base64
import hashlib
import random
import struct

DEFAULT_DIMENSIONS = 8


def embed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit vector seeded by ``text``, already rounded to float32 precision."""
    return list(struct.unpack(f"<{dimensions}f", packed(text, dimensions)))


def packed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> bytes:
    """The vector for ``text`` as little-endian float32 bytes."""
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
    rng = random.Random(seed)
    values = [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return struct.pack(f"<{dimensions}f", *(v / norm for v in values))


def embed_base64(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> str:
    """The vector for ``text`` as OpenAI's ``encoding_format: "base64"`` string."""
    return base64.b64encode(packed(text, dimensions)).decode()
