"""Reaching a deep list page the way the API offers it: by page number (OFFSET) or by keyset cursor."""

from __future__ import annotations

from typing import Any

_cursors: dict[tuple[str, int], str | None] = {}


def deep_page(client, headers: dict, page: int, get) -> Any:
    """Return the page-th page of 50. With cursors, the cursor is found once by walking, then reused."""
    key = (headers["Authorization"], page)
    if key not in _cursors:
        body = get(client, "/cases", headers)
        cursor = body.get("next_cursor")
        if "next_cursor" in body:
            for _ in range(page - 2):
                if not cursor:
                    break
                cursor = get(client, "/cases", headers, cursor=cursor).get("next_cursor")
        _cursors[key] = cursor if "next_cursor" in body else None
    if _cursors[key] is None:
        return get(client, "/cases", headers, page=page)
    return get(client, "/cases", headers, cursor=_cursors[key])
