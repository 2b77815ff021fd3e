"""Keys endpoints under /admin/v1/keys."""

from litestar.handlers import HTTPRouteHandler

handlers: list[HTTPRouteHandler] = []
