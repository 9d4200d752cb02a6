"""GraphiQL served by Revisit itself, so the page works on a machine that cannot reach a CDN.

The built assets (GraphiQL 2, React 17, the explorer plugin) come from the PyPI package
``graphene-django-graphiql-static``; only its static files are used, nothing of Django or graphene.
strawberry's own page loads GraphiQL 3 and React 18 from unpkg and calls APIs those files lack
(``ReactDOM.createRoot``, ``explorerPlugin()``, ``js-cookie``), so the page below is written for the
assets we ship: same endpoint for queries, graphql-transport-ws for subscriptions, a headers editor
for ``Authorization: Bearer …``, and the query kept in the address bar for sharing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

ASSET_PATH = "/graphql/assets"
ASSET_DIR = Path(str(files("graphene_django_graphiql_static") / "static" / "graphene_django_graphiql_static"))
STYLES = ("graphiql.min.css", "style.css")
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql-plugin-explorer.umd.js",
)
CACHE = "public, max-age=86400"

WELCOME = """# Revisit's GraphQL API.
#
# Sign in with the mutation below, then open "Headers" underneath and add
#   {"Authorization": "Bearer <accessToken>"}
# Run with Ctrl-Enter; the Docs and Explorer buttons on the left show the schema.

mutation SignIn {
  login(email: "you@example.com", password: "your password") {
    accessToken
    expiresIn
    errors { code message }
  }
}
"""

START = """
(function () {
  var endpoint = window.location.origin + window.location.pathname;
  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({
    url: endpoint,
    subscriptionUrl: endpoint.replace(/^http/, "ws"),
  });
  function keep(name, value) {
    if (value) { params.set(name, value); } else { params.delete(name); }
    window.history.replaceState(null, "", "?" + params.toString());
  }
  function Revisit() {
    var pair = React.useState(params.get("query") || WELCOME);
    var query = pair[0];
    var setQuery = pair[1];
    function edit(text) { setQuery(text); keep("query", text); }
    var explorer = GraphiQLPluginExplorer.useExplorerPlugin({ query: query, onEdit: edit });
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      query: query,
      onEditQuery: edit,
      variables: params.get("variables") || undefined,
      onEditVariables: function (text) { keep("variables", text); },
      plugins: [explorer],
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
    });
  }
  ReactDOM.render(React.createElement(Revisit), document.getElementById("graphiql"));
})();
"""


def script_hash(script: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


SCRIPT = f"var WELCOME = {json.dumps(WELCOME)};{START}"
# The browser itself refuses anything from elsewhere: scripts only from here (and the one inline start).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {script_hash(SCRIPT)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


def graphiql_page() -> str:
    """The GraphiQL HTML: every script and style from ``ASSET_PATH`` on this server."""
    styles = "\n".join(f'<link rel="stylesheet" href="{ASSET_PATH}/{name}">' for name in STYLES)
    scripts = "\n".join(f'<script src="{ASSET_PATH}/{name}"></script>' for name in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Revisit GraphQL</title>
<link rel="icon" href="data:,">
{styles}
<style>html, body {{ height: 100%; margin: 0; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{scripts}
<script>{SCRIPT}</script>
</body>
</html>
"""


def graphiql_response() -> Response:
    return HTMLResponse(graphiql_page(), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


async def _asset(request: Request) -> Response:
    """One of the listed asset files, with the content type its name says; anything else is 404."""
    name = request.path_params["name"]
    if name not in STYLES + SCRIPTS:
        return PlainTextResponse("Not found.", status_code=404)
    return FileResponse(ASSET_DIR / name, headers={"Cache-Control": CACHE})


def graphiql_asset_routes() -> list[BaseRoute]:
    return [Route(f"{ASSET_PATH}/{{name}}", _asset, methods=["GET", "HEAD"])]
