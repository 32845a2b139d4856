"""What Open311 shows of the district: services from the categories, requests from cases (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ticketing.case.models import Case
from ticketing.dataset import Dataset
from ticketing.open311.formats import mask_personal, w3c
from ticketing.open311.models import Open311Request
from ticketing.open311.service import CLOSED

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00Z"


def services(dataset: Dataset) -> dict[str, Any]:
    """Return the service list: one service per leaf category, grouped by its parent group."""
    items = []
    for code, category in dataset.leaf_categories().items():
        group = dataset.categories.get(category.parent) if category.parent else None
        items.append({
            "service_code": code,
            "service_name": category.name_zh,
            "description": f"{category.name_en}. {_bureau_line(dataset, category.default_bureau)}",
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(category.keywords),
            "group": group.name_zh if group else category.name_zh,
        })
    return {"services": items}


def _bureau_line(dataset: Dataset, code: str) -> str:
    if code == "$street":
        return "承办：所在街道办事处 / handled by the street office"
    bureau = dataset.bureaus.get(code)
    return f"承办：{bureau.name_zh} / handled by {bureau.name_en}" if bureau else ""


def service_definition(code: str) -> dict[str, Any]:
    """Return a service's definition: these services ask for no extra attributes."""
    return {"service_definition": {"service_code": code, "attributes": []}}


def request_record(case: Case, row: Open311Request | None, dataset: Dataset) -> dict[str, Any]:
    """Return one request as the spec names its fields, without the resident's personal data."""
    zone = dataset.calendar.timezone
    closed = case.status in CLOSED
    record: dict[str, Any] = {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(case) if closed else "",
        "service_name": case.category.name_zh if case.category else "",
        "service_code": case.category.code if case.category else "",
        "description": mask_personal(case.description) if row is not None else "",
        "agency_responsible": case.bureau.name_zh if case.bureau else "",
        "service_notice": "",
        "requested_datetime": _local(case.created_at, zone),
        "updated_datetime": _local(case.updated_at, zone),
        "expected_datetime": _local(case.resolve_by or case.dispatch_by, zone) or "",
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.latitude if case.latitude is not None else "",
        "long": case.longitude if case.longitude is not None else "",
        "media_url": row.media_url if row is not None else "",
    }
    return record


def _status_notes(case: Case) -> str:
    if case.status == "merged" and case.merged_into is not None:
        return f"已与工单 {case.merged_into.number} 合并办理 / merged into request {case.merged_into.number}"
    return mask_personal(case.public_reply)


def _local(moment: datetime | None, zone) -> str | None:
    return w3c(moment.astimezone(zone)) if moment is not None else None


def discovery(base_url: str, contact: str) -> dict[str, Any]:
    """Return the service discovery document pointing at this endpoint."""
    endpoint = {"specification": SPECIFICATION, "url": base_url, "changeset": CHANGESET,
                "type": "production", "formats": ["text/xml", "application/json"]}
    return {"discovery": {"changeset": CHANGESET, "contact": contact,
                          "key_service": "API keys: ask the hotline centre (hotline open311 keys create)",
                          "endpoints": [endpoint]}}
