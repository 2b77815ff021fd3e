"""An `ingate` command as the CLI writes it in its hints: the way this one was started.

`uv run` (and so `make run`) sets `UV` for what it runs, and there `ingate` is not on PATH: the
command that works is `uv run ingate …`. In a container, or with the virtual environment
activated, it is `ingate …`.
"""

import os


def typed(arguments: str) -> str:
    """`ingate ARGUMENTS` as the user can type it here."""
    prefix = "uv run ingate" if os.environ.get("UV") else "ingate"
    return f"{prefix} {arguments}"


def is_it_running() -> str:
    """The hint after "cannot reach NATS" and its like."""
    return f"is `{typed('run')}` running?"
