"""What the browser tests share: Debian's Chromium under Playwright, logging in, and where screenshots go."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

SHOTS = Path("test-artifacts/screenshots")
SHOTS.mkdir(parents=True, exist_ok=True)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESK = {"width": 1366, "height": 900}  # an agent's desk screen
CASE_NUMBER = re.compile(r"[A-Z]+\d{8}-\d+")  # FT20261202-0001


@pytest.fixture
async def browser():
    """Headless Debian Chromium for one test."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def log_in(browser, base: str, username: str, password: str, *, viewport: dict = DESK,
                 locale: str = "zh-CN", **context_options):
    """A new browser context (Playwright's `new_context` options) logged in to the console as `username`;
    returns its page."""
    context = await browser.new_context(viewport=viewport, locale=locale, **context_options)
    page = await context.new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")
    return page


def shot(name: str) -> str:
    """The path of screenshot `name`."""
    return str(SHOTS / name)


def keep(name: str) -> None:
    """Copy screenshot `name` to /work/screens/desk when that folder exists (a reviewer's desk)."""
    target = Path("/work/screens/desk")
    if target.is_dir():
        shutil.copy(SHOTS / name, target / name)


async def saved_case_number(page) -> str:
    """The number of the case the agent just saved, read from the desk's result line."""
    text = await page.get_by_test_id("case-result").inner_text()
    found = CASE_NUMBER.search(text)
    assert found, f"no case number in {text!r}"
    return found.group(0)
