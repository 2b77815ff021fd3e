"""One sub-command per service, for containers: `ingate edge|translator|analytics|admin|mock-provider`.

Each service's stack (HTTP server, ClickHouse engine, …) is imported only when that
service is run, so `ingate keys` and `ingate usage` start in a fraction of the time.
"""

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any, Final

from ingate_cli import admin_service, workers
from ingate_config import ConfigError, Settings

# sub-command → (module, entry point taking Settings; the edge's and the admin's also their socket)
SERVICES: Final = {
    "edge": ("ingate_edge", "serve", "run the edge service (the HTTP gateway)"),
    "translator": ("ingate_translator", "serve", "run the translator service (OpenAI ⇄ Anthropic)"),
    "analytics": ("ingate_analytics", "serve", "run the analytics service (request records into ClickHouse)"),
    "admin": ("ingate_admin.server", "serve", "run the admin service (admin API and console)"),
}


def add_parsers(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    for name, (_, _, help_text) in SERVICES.items():
        service = commands.add_parser(name, help=help_text)
        if name == "edge":
            workers.add_arguments(service)
        elif name == "admin":
            admin_service.add_arguments(service)
    commands.add_parser(
        "mock-provider",
        help="run the fake OpenAI/Anthropic/Ollama upstream (flags: ingate mock-provider --help)",
        add_help=False,
    )


def _entry(module: str, name: str) -> Callable[..., Any]:
    entry: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return entry


def run_service(args: argparse.Namespace, settings: Settings) -> int:
    module, name, _ = SERVICES[args.command]
    try:
        if args.command == "edge":
            return workers.run_edge(args, settings, _entry(module, name))
        if args.command == "admin":
            return admin_service.run_admin(args, settings, _entry(module, name))
        _entry(module, name)(settings)
    except ConfigError as exc:  # e.g. an OTEL_* variable the service cannot honour
        print(f"ingate: {exc}", file=sys.stderr)
        return 2
    return 0


def run_mock_provider(argv: list[str]) -> int:
    _entry("ingate_mock.cli", "main")(argv)
    return 0
