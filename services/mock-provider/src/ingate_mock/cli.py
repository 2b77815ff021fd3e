"""Command line: ``python -m ingate_mock [--port N] [--openai-key K] ...``."""

from __future__ import annotations

import argparse
import logging
import os
import socket
from collections.abc import Mapping

import uvicorn

from ingate_mock.app import create_app
from ingate_mock.options import MockOptions
from ingate_mock.wire import DroppedConnection

READY_PREFIX = "mock-provider listening on"


def _env_port(env: Mapping[str, str]) -> int:
    raw = env.get("INGATE_MOCK_PORT") or "8081"
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"INGATE_MOCK_PORT must be an integer, got {raw!r}") from None


def build_parser(environ: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """Argument parser; defaults fall back to ``INGATE_MOCK_*`` variables."""
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="ingate_mock",
        description="Fake OpenAI, Anthropic and Ollama upstream on one port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument(
        "--port",
        type=int,
        default=_env_port(env),
        help="port to bind; 0 picks a free one (env INGATE_MOCK_PORT, default 8081)",
    )
    for dialect in ("openai", "anthropic", "ollama"):
        parser.add_argument(
            f"--{dialect}-key",
            default=env.get(f"INGATE_MOCK_{dialect.upper()}_KEY") or None,
            help=f"credential required on {dialect} routes (env INGATE_MOCK_{dialect.upper()}_KEY)",
        )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before the first byte")
    parser.add_argument("--tokens-per-second", type=float, default=0.0, help="stream pacing; 0 = no delay")
    parser.add_argument("--reply-tokens", type=int, default=12, help="default reply length in words")
    return parser


def parse_options(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> MockOptions:
    """``MockOptions`` from command-line arguments (and the environment)."""
    args = build_parser(environ).parse_args(argv)
    return MockOptions(
        host=args.host,
        port=args.port,
        openai_key=args.openai_key,
        anthropic_key=args.anthropic_key,
        ollama_key=args.ollama_key,
        latency_ms=args.latency_ms,
        tokens_per_second=args.tokens_per_second,
        reply_tokens=args.reply_tokens,
    )


class _QuietDrops(logging.Filter):
    """Hide the traceback uvicorn logs when a stream is dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


class _AnnouncingServer(uvicorn.Server):
    """Prints the ready line (with the real port) once the sockets listen."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.started:
            return
        port = self.servers[0].sockets[0].getsockname()[1]
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        print(f"{READY_PREFIX} http://{shown}:{port}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the mock provider until interrupted."""
    options = parse_options(argv)
    config = uvicorn.Config(
        create_app(options),
        host=options.host,
        port=options.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
        # open streams get this long to finish on shutdown, then are cancelled
        timeout_graceful_shutdown=2,
    )
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    _AnnouncingServer(config).run()
