"""GraphiQL and Swagger UI load every script and style from Revisit itself, never from a CDN."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import pytest

from tests.support.api import ApiClient

PAGES = ["/graphql", "/rest/docs"]


class Page(HTMLParser):
    """The URLs a page loads (script src, link href, img src) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            url = found.get(name)
            if url and not url.startswith("data:"):  # inline data loads nothing from anywhere
                self.urls.append(url)
        self._in_inline_script = tag == "script" and "src" not in found

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_inline_script = False


async def open_page(client: ApiClient, path: str) -> tuple[Page, str]:
    response = await client.http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Page()
    page.feed(response.text)
    return page, response.headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGES)
async def test_a_developer_page_references_only_same_origin_assets(client: ApiClient, path: str) -> None:
    """Every src/href is a path on this server (no scheme, no //host) or inline data; scripts included."""
    # when
    page, _ = await open_page(client, path)
    # then
    assert any(url.endswith(".js") for url in page.urls)
    assert any(url.endswith(".css") for url in page.urls)
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url


@pytest.mark.parametrize("path", PAGES)
async def test_every_asset_a_developer_page_loads_is_served_with_its_content_type(
    client: ApiClient, path: str
) -> None:
    """Each referenced file answers 200, non-empty, as JavaScript, CSS or an image."""
    # given
    page, _ = await open_page(client, path)
    expected = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    # when
    answers = {url: await client.http.get(url) for url in page.urls}
    # then
    for url, response in answers.items():
        kind = next(value for suffix, value in expected.items() if url.endswith(suffix))
        assert response.status_code == 200, url
        assert kind in response.headers["content-type"], (url, response.headers["content-type"])
        assert len(response.content) > 100, url


@pytest.mark.parametrize("path", PAGES)
async def test_the_browser_is_told_to_load_nothing_from_elsewhere(client: ApiClient, path: str) -> None:
    """The Content-Security-Policy allows only this origin, plus exactly the page's own inline script."""
    # when
    page, policy = await open_page(client, path)
    # then
    assert "default-src 'self'" in policy
    assert "http" not in policy
    for script in page.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


@pytest.mark.parametrize(
    "path",
    [
        "/graphql/assets/views.py",
        "/graphql/assets/..%2F..%2Fviews.py",
        "/rest/docs/assets/index.html",
        "/rest/docs/assets/swagger-ui-bundle.js.map",
    ],
)
async def test_only_the_listed_asset_files_are_served(client: ApiClient, path: str) -> None:
    """Other files of the asset packages, or paths that climb out of them, are 404."""
    # when
    response = await client.http.get(path)
    # then
    assert response.status_code == 404


async def test_graphql_still_answers_json_to_clients(client: ApiClient) -> None:
    """A client asking for JSON gets a GraphQL answer, not the page."""
    # when
    response = await client.http.get("/graphql", params={"query": "{ __typename }"})
    # then
    assert response.json() == {"data": {"__typename": "Query"}}
