"""Command line: ``python -m ingate_mock [--port N] [--openai-key K] ...``.

The ``--fail-*``, ``--retry-after``, ``--break-stream-after``, ``--omit-usage`` and
``--refuse-connections`` flags set the fault schedule the instance starts with
(``schedule.py``); the control API (``admin.py``) changes it later.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping

import msgspec

from ingate_mock.options import MockOptions
from ingate_mock.schedule import FaultSchedule
from ingate_mock.server import MockServer
from ingate_mock.wire import DroppedConnection


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
        description="Fake OpenAI, Anthropic, Ollama and Gemini upstream on one port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument(
        "--port",
        type=int,
        default=_env_port(env),
        help="port to bind; 0 picks a free one (env INGATE_MOCK_PORT, default 8081)",
    )
    for dialect in ("openai", "anthropic", "ollama", "gemini"):
        parser.add_argument(
            f"--{dialect}-key",
            default=env.get(f"INGATE_MOCK_{dialect.upper()}_KEY") or None,
            help=f"credential required on {dialect} routes (env INGATE_MOCK_{dialect.upper()}_KEY)",
        )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before the first byte")
    parser.add_argument("--tokens-per-second", type=float, default=0.0, help="stream pacing; 0 = no delay")
    parser.add_argument("--reply-tokens", type=int, default=12, help="default reply length in words")
    parser.add_argument(
        "--control-port", type=int, default=0, help="port serving only the control API; 0 picks a free one"
    )
    faults = parser.add_argument_group("fault schedule", "how every API request fares, until changed")
    faults.add_argument("--fail-next", type=int, default=0, metavar="N", help="the first N requests fail")
    faults.add_argument("--fail-status", type=int, default=500, metavar="S", help="their status (500)")
    faults.add_argument(
        "--fail-share", type=float, default=0.0, metavar="P", help="then each fails with probability P"
    )
    faults.add_argument("--fail-seed", type=int, default=0, metavar="N", help="seed of those draws (0)")
    faults.add_argument("--retry-after", type=int, metavar="S", help="failures carry retry-after: S")
    faults.add_argument("--break-stream-after", type=int, metavar="N", help="streams break after N events")
    faults.add_argument("--omit-usage", action="store_true", help="streams end without their usage report")
    faults.add_argument("--refuse-connections", action="store_true", help="the API port refuses connections")
    return parser


def _schedule(parser: argparse.ArgumentParser, args: argparse.Namespace) -> FaultSchedule:
    fields = {
        "status": args.fail_status,
        "fail_next": args.fail_next,
        "fail_share": args.fail_share,
        "seed": args.fail_seed,
        "retry_after_s": args.retry_after,
        "break_stream_after": args.break_stream_after,
        "omit_usage": args.omit_usage,
        "refuse_connections": args.refuse_connections,
    }
    try:
        return msgspec.convert(fields, FaultSchedule)  # checks the ranges the control API checks
    except msgspec.ValidationError as exc:
        parser.error(f"fault schedule: {exc}")


def parse_options(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> MockOptions:
    """``MockOptions`` from command-line arguments (and the environment)."""
    parser = build_parser(environ)
    args = parser.parse_args(argv)
    return MockOptions(
        host=args.host,
        port=args.port,
        openai_key=args.openai_key,
        anthropic_key=args.anthropic_key,
        ollama_key=args.ollama_key,
        gemini_key=args.gemini_key,
        latency_ms=args.latency_ms,
        tokens_per_second=args.tokens_per_second,
        reply_tokens=args.reply_tokens,
        faults=_schedule(parser, args),
        control_port=args.control_port,
    )


class _QuietDrops(logging.Filter):
    """Hide the traceback uvicorn logs when a stream is dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def main(argv: list[str] | None = None) -> None:
    """Run the mock provider until interrupted."""
    options = parse_options(argv)
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    MockServer(options).run()
