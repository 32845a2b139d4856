"""An administrator unlocks a locked-out agent and deactivates an account on the users page (Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    ConsoleClient,
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SHOTS = Path("test-artifacts/screenshots")
SHOTS.mkdir(parents=True, exist_ok=True)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


async def attempt(base: str, username: str, password: str) -> str:
    """Log in over HTTP as a browser would; return where the console sends the user."""
    client = ConsoleClient(base)
    try:
        return (await client.login(username, password)).headers["location"]
    finally:
        await client.close()


async def test_admin_unlocks_and_deactivates_users(make_app, serve):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    for _ in range(5):
        await attempt(base, "agent2", "wrong-password")
    assert (await attempt(base, "agent2", "agent-pass")).endswith("reason=login_locked")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await (await browser.new_context(viewport={"width": 1400, "height": 900},
                                                locale="zh-CN")).new_page()
        await page.goto(f"{base}/console/login")
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", "admin-pass")
        await page.click("button[type=submit]")
        await page.get_by_role("link", name="用户管理").click()
        row = page.locator("tr[data-user=agent2]")
        await expect(row.get_by_test_id("user-state")).to_contain_text("已锁定至")
        await page.screenshot(path=str(SHOTS / "users-locked.png"), full_page=True)
        await row.get_by_role("button", name="解锁").click()
        await expect(page.get_by_test_id("users-message")).to_have_text("已解锁：agent2")
        await expect(page.locator("tr[data-user=agent2]").get_by_test_id("user-state")).to_have_text("正常")
        assert await attempt(base, "agent2", "agent-pass") == "/console/"

        await page.locator("tr[data-user=agent2]").get_by_role("button", name="停用").click()
        await expect(page.get_by_test_id("users-message")).to_have_text("已停用：agent2")
        await expect(page.locator("tr[data-user=agent2]").get_by_test_id("user-state")).to_have_text("已停用")
        assert (await attempt(base, "agent2", "agent-pass")).endswith("reason=login_failed")
        assert await page.locator("tr[data-user=admin] button", has_text="停用").count() == 0  # not oneself

        await page.goto(f"{base}/console/audit")
        await expect(page.get_by_test_id("audit")).to_contain_text("解锁用户")
        await expect(page.get_by_test_id("audit")).to_contain_text("停用用户")
        await page.goto(f"{base}/console/users")
        await page.locator("tr[data-user=agent2]").get_by_role("button", name="启用").click()
        await page.screenshot(path=str(SHOTS / "users-page.png"), full_page=True)
        await browser.close()
    assert await attempt(base, "agent2", "agent-pass") == "/console/"
