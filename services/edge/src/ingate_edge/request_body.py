"""Reading the caller's request body, never more of it than the edge accepts."""

from typing import Any

from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.streaming import ClientDisconnected


async def read_body(method: str, declared: bytes | None, receive: Any, max_body: int) -> bytes:
    """The whole body (b"" for GET); `declared` is the caller's Content-Length, if it sent one."""
    if method == "GET":
        return b""
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise _too_large(max_body)
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            raise _too_large(max_body)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(max_body: int) -> GatewayError:
    # Closing the connection stops the server from reading (and discarding) the rest.
    return GatewayError(
        errors.TOO_LARGE,
        f"Request body exceeds the limit of {max_body} bytes.",
        headers=((b"connection", b"close"),),
    )
