"""Ingate edge: authenticates callers, detects providers, forwards and streams."""

from ingate_edge.app import EdgeApp, create_app
from ingate_edge.server import serve

__all__ = ["EdgeApp", "create_app", "serve"]
