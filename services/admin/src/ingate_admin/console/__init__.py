"""The web console at `/` of the admin listener: server-rendered pages and plain forms, no script.

Signing in with an admin token makes a session (see `sessions`); every page group is one module
whose `handlers` the router below gathers, each calling the functions the JSON API calls.
"""

import json
from pathlib import Path
from typing import Final
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Router
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from ingate_admin.console import backup, catalog, keys, prices, reports, signin, tokens
from ingate_admin.console.pages import EXCEPTION_HANDLERS, SECURITY_HEADERS
from ingate_admin.console.sessions import signed_in

__all__ = ["console_router", "static_router", "template_config"]

_STATIC: Final = Path(__file__).parent / "static"


def _indented(text: object) -> str:
    """A captured body indented when it is JSON (most are), as stored otherwise."""
    if not isinstance(text, str):
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _environment() -> Environment:
    # Autoescape for every template, whatever its name: all output is escaped unless marked safe.
    environment = Environment(
        loader=PackageLoader("ingate_admin.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    # A value as one URL path segment: "/" and "?" quoted too, unlike Jinja's own urlencode.
    environment.filters["segment"] = lambda value: quote(str(value), safe="")
    # Audit rows' before/after are JSON objects; shown indented, keys in order, escaped as any text.
    environment.filters["pretty"] = lambda value: (
        "" if value is None else json.dumps(value, indent=2, sort_keys=True)
    )
    environment.filters["body"] = _indented
    environment.filters["usd"] = lambda value: "" if value is None else f"${float(value):,.4f}"
    return environment


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def console_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            *signin.handlers,
            *backup.handlers,  # before keys: /keys/export is no key's id
            *keys.handlers,
            *catalog.handlers,
            *reports.handlers,
            *prices.handlers,
            *tokens.handlers,
        ],
        dependencies={"signed": Provide(signed_in)},
        exception_handlers=EXCEPTION_HANDLERS,
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(path="/static", directories=[_STATIC], include_in_schema=False)
