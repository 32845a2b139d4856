"""The API docs page works offline: Swagger UI from local files renders every operation in Chromium."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest
from playwright.async_api import async_playwright

from tests.agent_console.support import serve  # noqa: F401 - fixture found by name
from ticketing.api import create_api
from ticketing.config import Settings

pytestmark = [pytest.mark.browser]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOT = os.environ.get("HOTLINE_SCREENSHOT_DIR", "var/screenshots")


async def test_docs_render_operations_from_local_assets_only(serve, tmp_path):  # noqa: F811
    app = create_api(Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}"))
    base = await serve(app)
    outside, problems = [], []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page()

        async def only_local(route):  # as if offline: anything not served by the hotline fails
            if urlparse(route.request.url).hostname == "127.0.0.1":
                await route.continue_()
            else:
                outside.append(route.request.url)
                await route.abort()

        await page.route("**/*", only_local)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda err: problems.append(str(err)))
        await page.goto(f"{base}/docs")
        create = page.locator("#operations-cases-create_case_api_v1_cases_post")
        await create.wait_for(timeout=30_000)
        operations = await page.locator(".opblock").count()
        shown = [op for methods in app.openapi()["paths"].values() for op in methods.values()]
        assert operations == sum(len(op.get("tags") or [1]) for op in shown)  # once under each tag
        await create.locator(".opblock-summary").click()  # expands: the body schema shows
        await page.get_by_text("Idempotency-Key", exact=False).first.wait_for(timeout=10_000)
        os.makedirs(SHOT, exist_ok=True)
        await page.screenshot(path=f"{SHOT}/api-docs.png", full_page=False)
        await browser.close()
    assert outside == [], "the docs page fetched something from outside"
    assert problems == [], problems  # no CSP refusal, no script error
