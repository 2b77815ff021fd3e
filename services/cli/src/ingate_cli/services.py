"""One sub-command per service, for containers: `ingate edge`, `ingate translator`, `ingate mock-provider`."""

import argparse

from ingate_config import Settings
from ingate_edge import serve as serve_edge
from ingate_mock.cli import main as mock_main
from ingate_translator import serve as serve_translator


def add_parsers(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    commands.add_parser("edge", help="run the edge service (the HTTP gateway)")
    commands.add_parser("translator", help="run the translator service (OpenAI ⇄ Anthropic, over NATS)")
    commands.add_parser(
        "mock-provider",
        help="run the fake OpenAI/Anthropic/Ollama upstream (flags: ingate mock-provider --help)",
        add_help=False,
    )


def run_edge(settings: Settings) -> int:
    serve_edge(settings)
    return 0


def run_translator(settings: Settings) -> int:
    serve_translator(settings)
    return 0


def run_mock_provider(argv: list[str]) -> int:
    mock_main(argv)
    return 0
