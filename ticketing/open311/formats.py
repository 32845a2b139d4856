"""The GeoReport v2 wire formats as pure functions: JSON and XML by the spec's Spark convention, W3C dates.

A response is built as one plain structure with a single outer key, e.g. {"services": [...]}. JSON drops
the outer key; XML keeps it as the root element and wraps each list item in the singular of its list's
name (`services` → `service`, `service_requests` → `request`), as the specification's examples show.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SINGULAR = {"service_requests": "request", "services": "service", "attributes": "attribute",
            "values": "value", "endpoints": "endpoint", "formats": "format", "errors": "error"}


class Open311Error(Exception):
    """A request the endpoint refuses: the HTTP status and the spec's error description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def render(document: dict[str, Any], fmt: str) -> tuple[bytes, str]:
    """Serialise a one-key document as JSON or XML; return the body and its media type."""
    if fmt not in FORMATS:
        raise Open311Error(404, "unknown format: use .json or .xml")
    (root, content), = document.items()
    if fmt == "json":
        body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        element = ElementTree.Element(root)
        _fill(element, content)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="utf-8",
                                                                                 xml_declaration=False)
    return body, FORMATS[fmt]


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        name = SINGULAR.get(element.tag, element.tag.removesuffix("s"))
        for item in value:
            _fill(ElementTree.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def errors(status: int, description: str) -> dict[str, Any]:
    """Return the spec's error document: a list of {code, description}."""
    return {"errors": [{"code": status, "description": description}]}


def w3c(moment: datetime | None) -> str | None:
    """Format an instant as a W3C date-time with its offset, in the district's zone if one is given."""
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_w3c(name: str, value: str) -> datetime:
    """Parse a W3C date-time that carries a zone ('Z' or ±hh:mm); refuse anything else with 400."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as err:
        raise Open311Error(400, f"{name} is not a W3C date-time (e.g. 2026-11-26T10:00:00+08:00)") from err
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or an offset such as +08:00)")
    if not 1970 <= moment.year <= 9998:
        raise Open311Error(400, f"{name} is out of range")
    return moment.astimezone(UTC)


def comma_list(value: str | None) -> list[str]:
    """Split a comma-delimited parameter into its non-empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


PHONE_OR_ID = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{17}[\dXx]|\d{15})(?!\d)")


def mask_personal(text: str) -> str:
    """Mask phone and identity-card numbers in free text before it leaves the centre."""
    return PHONE_OR_ID.sub(lambda match: _mask(match.group(0)), text)


def _mask(number: str) -> str:
    digits = len(number)
    keep = 3 if digits > 8 else 1
    return number[:keep] + "*" * (digits - keep - 2) + number[-2:]
