"""The admin API's OpenAPI document at /admin/v1/openapi.json, and none of Litestar's doc UIs.

Litestar serves Swagger, ReDoc, Elements and RapiDoc pages by default, each loading its
scripts from a CDN: an admin listener serves only what it must. Its schema router also
answers every unknown path below its own with an HTML 404; mounted at the document's own
path, that catch-all sits where no caller goes, and an unknown /admin/v1/… path gets the
API's JSON 404 like any other. (Litestar then also answers the document at
/admin/v1/openapi.json/openapi.json, its fixed name for the JSON handler: the same public
document, no data.)
"""

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

OPENAPI_PATH = "/admin/v1/openapi.json"


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Ingate admin API",
        version="1",
        path=OPENAPI_PATH,
        render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
    )
