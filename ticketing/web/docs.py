"""The API docs page (/docs) from local files: Swagger UI shipped by fastapi-offline, no CDN or inline script.

FastAPI's own page loads Swagger from a CDN (blank without internet) and starts it with an inline script,
which the Content-Security-Policy refuses; this one starts it from docs-init.js.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_FILES = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, .css (Apache-2.0)
OWN_FILES = Path(__file__).parent / "static"
ASSETS = "/docs/assets"
PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title} · API 文档 / API docs</title>
<link rel="icon" href="{root}{assets}/swagger/favicon.png">
<link rel="stylesheet" href="{root}{assets}/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{root}{openapi}"></div>
<script src="{root}{assets}/swagger/swagger-ui-bundle.js"></script>
<script src="{root}{assets}/docs-init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve /docs and its assets (create the app with docs_url=None, redoc_url=None)."""
    app.mount(f"{ASSETS}/swagger", StaticFiles(directory=SWAGGER_FILES), name="docs-swagger")
    app.add_api_route(f"{ASSETS}/docs-init.js", _init_script, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", _page, methods=["GET"], include_in_schema=False)


def _page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return HTMLResponse(PAGE.format(title=escape(request.app.title), root=escape(root), assets=ASSETS,
                                    openapi=escape(request.app.openapi_url or "/openapi.json")))


def _init_script() -> FileResponse:
    return FileResponse(OWN_FILES / "docs-init.js", media_type="text/javascript")
