"""Ingate translator: converts between API formats for the edge, over NATS request-reply."""

from ingate_translator.service import run_translator, serve, start_translator

__all__ = ["run_translator", "serve", "start_translator"]
