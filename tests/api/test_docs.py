"""The API's documentation works offline: ``/docs`` (Swagger UI) and ``/redoc`` load their
scripts and styles from this server (the ``fastapi-offline`` package), and ``/openapi.json``
documents what every endpoint answers."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from forex_diffusion.api.app import create_app
from forex_diffusion.storage import Store
from tests.api.http import call, serving


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("docs") / "docs.sqlite"
    store = Store(f"sqlite:///{path}")
    store.ensure_schema()
    with serving(create_app(store, token="docs-token")) as url:
        yield url
    store.dispose()


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_use_only_this_server(api: str, page: str) -> None:
    """Swagger UI and ReDoc came from a CDN (a blank page offline)."""
    status, kind, body = _get(f"{api}{page}")
    html = body.decode()
    assert status == 200 and kind.startswith("text/html")
    assert not re.search(r"https?://", html), html  # no absolute URL at all
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets), html
    for asset in assets:
        assert asset.startswith("/"), asset
        status, _kind, content = _get(f"{api}{asset}")
        assert status == 200 and len(content) > 1000, asset
    assert "/openapi.json" in html


def test_every_endpoint_documents_its_answer(api: str) -> None:
    code, spec = call(f"{api}/openapi.json")
    assert code == 200
    undocumented = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            model = schema.get("$ref") or schema.get("items", {}).get("$ref")
            if not model:  # a bare object or list of objects says nothing
                undocumented.append(f"{method.upper()} {path}: {schema}")
    assert undocumented == []
    schemas = spec["components"]["schemas"]
    assert {"PaperSnapshot", "RunDetail", "CandleOut", "WriteResult"} <= set(schemas)
    snapshot = schemas["PaperSnapshot"]["properties"]
    assert {"trading", "active", "resumable", "resume_blocked", "in_server"} <= set(snapshot)
    start = schemas["PaperStart"]
    assert "from" in start["properties"] and "start" not in start["properties"]
    assert start.get("additionalProperties") is False
