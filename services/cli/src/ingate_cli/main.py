"""The `ingate` command."""

import argparse
import os
import sys
from pathlib import Path

from ingate_cli import admin_tokens, audit, keys, migrate, prices, requests, services, stack, status, usage
from ingate_cli.logs import configure_logging
from ingate_config import ConfigError, Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ingate", description="Ingate, a self-hostable AI gateway.")
    parser.add_argument("--config", metavar="FILE", help="YAML configuration (default: $INGATE_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    stack.add_parser(commands)
    status.add_parser(commands)
    keys.add_parser(commands)
    admin_tokens.add_parser(commands)
    usage.add_parser(commands)
    requests.add_parser(commands)
    audit.add_parser(commands)
    prices.add_parser(commands)
    migrate.add_parser(commands)
    services.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "mock-provider":
        # The mock has its own flags and needs no gateway configuration.
        sys.exit(services.run_mock_provider(rest))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    settings = _settings(args.config)
    if args.config:
        # Processes this one starts (`ingate run`'s services, edge workers) read the same file.
        os.environ["INGATE_CONFIG"] = str(Path(args.config).resolve())
    configure_logging(args.command, settings)
    if args.command == "run":
        sys.exit(stack.run(args, settings))
    if args.command == "admin-tokens":
        sys.exit(admin_tokens.run(args, settings))
    if args.command == "keys":
        sys.exit(keys.run(args, settings))
    if args.command == "usage":
        sys.exit(usage.run(args, settings))
    if args.command == "requests":
        sys.exit(requests.run(args, settings))
    if args.command == "audit":
        sys.exit(audit.run(args, settings))
    if args.command == "prices":
        sys.exit(prices.run(args, settings))
    if args.command == "migrate":
        sys.exit(migrate.run(args, settings))
    if args.command == "status":
        sys.exit(status.run(args, settings))
    sys.exit(services.run_service(args, settings))


def _settings(config_path: str | None) -> Settings:
    try:
        return load_settings(config_path)
    except ConfigError as exc:
        print(f"ingate: {exc}", file=sys.stderr)
        sys.exit(2)
