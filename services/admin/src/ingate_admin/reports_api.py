"""Usage, requests and audit endpoints under /admin/v1/."""

from litestar.handlers import HTTPRouteHandler

handlers: list[HTTPRouteHandler] = []
