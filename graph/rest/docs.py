"""Swagger UI for the REST-compat API, served with its assets from Revisit itself (no CDN).

The assets are Swagger UI 5 as shipped by the PyPI package ``swagger-ui-bundle-v2``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from swagger_ui_bundle import swagger_ui_path

from graph.graphiql import script_hash

ASSET_PATH = "/rest/docs/assets"
ASSET_DIR = Path(str(swagger_ui_path))
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
CACHE = "public, max-age=86400"
START = 'SwaggerUIBundle({url: "/rest/v1/openapi.json", dom_id: "#ui", deepLinking: true});'
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {script_hash(START)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


def swagger_page() -> str:
    """The Swagger UI HTML: its script and style from ``ASSET_PATH`` on this server."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Revisit REST API</title>
<link rel="icon" type="image/png" href="{ASSET_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSET_PATH}/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="{ASSET_PATH}/swagger-ui-bundle.js"></script>
<script>{START}</script>
</body>
</html>
"""


async def _page(request: Request) -> Response:
    return HTMLResponse(swagger_page(), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


async def _asset(request: Request) -> Response:
    """One of the listed asset files, with the content type its name says; anything else is 404."""
    name = request.path_params["name"]
    if name not in ASSETS:
        return PlainTextResponse("Not found.", status_code=404)
    return FileResponse(ASSET_DIR / name, headers={"Cache-Control": CACHE})


def docs_routes() -> list[BaseRoute]:
    """``/rest/docs`` and the files it loads."""
    return [
        Route("/rest/docs", _page, methods=["GET"]),
        Route(f"{ASSET_PATH}/{{name}}", _asset, methods=["GET", "HEAD"]),
    ]
