"""Parse bureaus.yaml, streets.yaml and categories.yaml into dataclasses (each checked on its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ticketing.dataset.errors import DatasetError
from ticketing.dataset.model import TARGET_STREET, Bureau, Category, Community, Street
from ticketing.dataset.reader import Fields
from ticketing.dataset.yamlio import read_yaml
from ticketing.sla import DISPATCH_CLASSES, SLA_CLASSES

BUREAU_KINDS = ("department", "street", "centre")


def read_bureaus(path: Path) -> tuple[dict[str, Bureau], str]:
    """Return the bureaus by code and the code of the centre's triage queue."""
    top = Fields(path, read_yaml(path), "").only("triage", "bureaus")
    bureaus: dict[str, Bureau] = {}
    for item in top.mappings("bureaus"):
        item.only("code", "name_zh", "name_en", "kind")
        code = _unique(item, bureaus)
        kind = item.choice("kind", BUREAU_KINDS)
        bureaus[code] = Bureau(code, item.text("name_zh"), item.text("name_en"), kind)
    triage = top.code("triage")
    if triage not in bureaus:
        raise top.fail("triage", f"unknown bureau '{triage}'")
    if bureaus[triage].kind != "centre":
        raise top.fail("triage", f"bureau '{triage}' must be of kind centre, not {bureaus[triage].kind}")
    return bureaus, triage


def read_streets(path: Path, bureaus: dict[str, Bureau]) -> dict[str, Street]:
    """Return the streets by code; each must have its office `street-<code>` among the bureaus."""
    top = Fields(path, read_yaml(path), "").only("streets")
    streets: dict[str, Street] = {}
    community_codes: set[str] = set()
    for item in top.mappings("streets"):
        item.only("code", "name_zh", "name_en", "communities")
        code = _unique(item, streets)
        communities = []
        for sub in item.mappings("communities", []):
            sub.only("code", "name_zh", "name_en")
            community = Community(sub.code("code"), sub.text("name_zh"), sub.text("name_en"))
            if community.code in community_codes:
                raise sub.fail("code", f"duplicate community code '{community.code}'")
            community_codes.add(community.code)
            communities.append(community)
        street = Street(code, item.text("name_zh"), item.text("name_en"), tuple(communities))
        office = bureaus.get(street.office)
        if office is None or office.kind != "street":
            raise item.fail("code", f"street '{code}' needs a bureau '{street.office}' of kind street")
        streets[code] = street
    return streets


def read_categories(path: Path, bureaus: dict[str, Bureau]) -> dict[str, Category]:
    """Return the categories by code, parents and default bureaus checked."""
    top = Fields(path, read_yaml(path), "").only("categories")
    categories: dict[str, Category] = {}
    parent_lines: dict[str, Fields] = {}
    for item in top.mappings("categories"):
        item.only("code", "name_zh", "name_en", "parent", "default_bureau", "sla_class", "dispatch_class",
                  "keywords")
        code = _unique(item, categories)
        bureau = item.text("default_bureau")
        if bureau != TARGET_STREET and bureau not in bureaus:
            raise item.fail("default_bureau", f"unknown bureau '{bureau}'")
        keywords, weights = _keywords(item)
        categories[code] = Category(
            code=code, name_zh=item.text("name_zh"), name_en=item.text("name_en"),
            parent=item.code("parent", None), default_bureau=bureau,
            sla_class=item.choice("sla_class", SLA_CLASSES),
            dispatch_class=item.choice("dispatch_class", DISPATCH_CLASSES),
            keywords=keywords, keyword_weights=weights,
        )
        parent_lines[code] = item
    _check_parents(categories, parent_lines)
    return categories


def _keywords(item: Fields) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Read `keywords`: strings, or one-pair mappings `{keyword: weight}`; duplicates refused."""
    keywords: list[str] = []
    weights: list[float] = []
    raw_list = item.raw("keywords", [])
    for index, raw, _line in item.items("keywords", []):
        keyword, weight = _keyword(raw)
        if keyword is None:
            raise item.item_fail("keywords", raw_list, index, "expected a keyword or {keyword: weight > 0}")
        if keyword.casefold() in (k.casefold() for k in keywords):
            raise item.item_fail("keywords", raw_list, index, f"duplicate keyword '{keyword}'")
        keywords.append(keyword)
        weights.append(weight)
    return tuple(keywords), tuple(weights)


def _keyword(raw: Any) -> tuple[str | None, float]:
    if isinstance(raw, str) and raw.strip():
        return raw.strip(), 1.0
    if isinstance(raw, dict) and len(raw) == 1:
        (keyword, weight), = raw.items()
        valid_weight = isinstance(weight, int | float) and not isinstance(weight, bool) and weight > 0
        if isinstance(keyword, str) and keyword.strip() and valid_weight:
            return keyword.strip(), float(weight)
    return None, 0.0


def _check_parents(categories: dict[str, Category], items: dict[str, Fields]) -> None:
    for code, category in categories.items():
        if category.parent is not None and category.parent not in categories:
            raise items[code].fail("parent", f"unknown category '{category.parent}'")
        seen = {code}
        parent = category.parent
        while parent is not None:
            if parent in seen:
                raise items[code].fail("parent", f"parent chain of '{code}' loops back to '{parent}'")
            seen.add(parent)
            parent = categories[parent].parent


def _unique(item: Fields, known: dict[str, Any]) -> str:
    code = item.code("code")
    if code in known:
        raise item.fail("code", f"duplicate code '{code}'")
    return code


__all__ = ["DatasetError", "read_bureaus", "read_categories", "read_streets"]
