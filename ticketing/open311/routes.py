"""Open311 GeoReport v2 routes under /open311/v2: every answer in .json or .xml, errors as the spec's."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ticketing.case import flows
from ticketing.case.errors import UnknownReference
from ticketing.case.permissions import Actor
from ticketing.case.phone import InvalidPhone
from ticketing.case.schemas import CaseCreate
from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.open311 import records, service
from ticketing.open311.formats import Open311Error, comma_list, errors, parse_w3c, render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["open311"])
MAX_TEXT = {"description": 4000, "address_string": 300, "first_name": 50, "last_name": 50,
            "media_url": 500, "email": 200, "phone": 40}


def answer(fmt: str, build: Callable[[], dict[str, Any]], status: int = 200) -> Response:
    """Run BUILD and render its document; an Open311Error becomes the spec's error document."""
    try:
        body, media_type = render(build(), fmt)
    except Open311Error as err:
        status = err.status
        fallback = fmt if fmt in ("json", "xml") else "json"
        body, media_type = render(errors(err.status, err.description), fallback)
    return Response(body, status_code=status, media_type=media_type)


def _text(name: str, value: str | None) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise Open311Error(400, f"{name} contains a NUL character")
    if len(value) > MAX_TEXT.get(name, 200):
        raise Open311Error(400, f"{name} is longer than {MAX_TEXT.get(name, 200)} characters")
    return value


def _jurisdiction(request: Request, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and _text("jurisdiction_id", jurisdiction_id) != request.app.state.dataset.name:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id!r} is not served here")


@router.get("/discovery.{fmt}")
def discovery(request: Request, fmt: str) -> Response:
    """Service discovery: where this GeoReport v2 endpoint is and which formats it speaks."""
    base = str(request.url_for("services", fmt="json")).rsplit("/", 1)[0] + "/"
    return answer(fmt, lambda: records.discovery(base, "12345 市民服务热线 / citizen service hotline"))


@router.get("/services.{fmt}", name="services")
def services(request: Request, fmt: str, jurisdiction_id: str | None = Query(None)) -> Response:
    """GET Service List: one service per case category."""
    def build():
        _jurisdiction(request, jurisdiction_id)
        return records.services(request.app.state.dataset)
    return answer(fmt, build)


@router.get("/services/{service_code}.{fmt}")
def service_definition(request: Request, service_code: str, fmt: str,
                       jurisdiction_id: str | None = Query(None)) -> Response:
    """GET Service Definition (no service here needs extra attributes)."""
    def build():
        _jurisdiction(request, jurisdiction_id)
        if _text("service_code", service_code) not in request.app.state.dataset.leaf_categories():
            raise Open311Error(404, f"service_code {service_code!r} is not a service of this endpoint")
        return records.service_definition(service_code)
    return answer(fmt, build)


@router.post("/requests.{fmt}")
def post_request(
    request: Request,
    fmt: str,
    session: Session = Depends(get_db),
    api_key: str | None = Form(None), service_code: str | None = Form(None),
    jurisdiction_id: str | None = Form(None), lat: str | None = Form(None), long: str | None = Form(None),
    address_string: str | None = Form(None), address_id: str | None = Form(None),
    email: str | None = Form(None), device_id: str | None = Form(None), account_id: str | None = Form(None),
    first_name: str | None = Form(None), last_name: str | None = Form(None), phone: str | None = Form(None),
    description: str | None = Form(None), media_url: str | None = Form(None),
    query_key: str | None = Query(None, alias="api_key"),
) -> Response:
    """POST Service Request: file a case from another system (needs an api_key)."""
    form = {"service_code": service_code, "lat": lat, "long": long, "address_string": address_string,
            "address_id": address_id, "first_name": first_name, "last_name": last_name, "phone": phone,
            "description": description, "media_url": media_url, "email": email}

    def build():
        _jurisdiction(request, jurisdiction_id)
        fields = {name: _text(name, value) for name, value in form.items()}
        client = service.client_for_key(session, _text("api_key", api_key or query_key))
        case = flows.intake(session, request.app.state.dataset, _case_of(request, fields),
                            Actor(name=f"open311:{client.name}"))
        row = service.record_request(session, case, client, fields["media_url"])
        session.commit()
        log.info("open311 client %s filed case %s", client.name, case.number)
        notice = "已受理，工作时间内派单办理 / received: it will be dispatched to the responsible bureau"
        filed = {"service_request_id": case.number, "token": row.token, "service_notice": notice,
                 "account_id": _text("account_id", account_id)}
        return {"service_requests": [filed]}
    return answer(fmt, build)


def _case_of(request: Request, fields: dict[str, str]) -> CaseCreate:
    dataset = request.app.state.dataset
    code = fields["service_code"]
    if not code:
        raise Open311Error(400, "service_code is required")
    category = dataset.leaf_categories().get(code)
    if category is None:
        raise Open311Error(400, f"service_code {code!r} is not a service of this endpoint")
    latitude, longitude = _position(fields["lat"], fields["long"])
    address = fields["address_string"] or fields["address_id"]
    if latitude is None and not address:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    try:
        return CaseCreate(
            channel="open311", description=fields["description"] or category.name_zh,
            caller_phone=fields["phone"] or None,
            caller_name=f"{fields['last_name']}{fields['first_name']}"[:100],
            street=service.street_in(dataset, address), address=address, latitude=latitude,
            longitude=longitude, category=code,
        )
    except (ValidationError, InvalidPhone, UnknownReference) as err:
        raise Open311Error(400, _first_problem(err)) from err


def _position(lat: str, long: str) -> tuple[float | None, float | None]:
    if not lat and not long:
        return None, None
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError as err:
        raise Open311Error(400, "lat and long must both be decimal degrees (WGS-84)") from err
    finite = math.isfinite(latitude) and math.isfinite(longitude)
    if not finite or abs(latitude) > 90 or abs(longitude) > 180:
        raise Open311Error(400, "lat must lie within ±90 and long within ±180")
    return latitude, longitude


def _first_problem(err: Exception) -> str:
    if isinstance(err, ValidationError):
        problem = err.errors()[0]
        field = {"caller_phone": "phone", "caller_name": "first_name/last_name",
                 "address": "address_string"}.get(str(problem["loc"][0]), problem["loc"][0])
        return f"{field}: {problem['msg']}"
    return str(err)


@router.get("/requests.{fmt}")
def get_requests(
    request: Request, fmt: str, session: Session = Depends(get_db),
    service_request_id: str | None = Query(None), service_code: str | None = Query(None),
    start_date: str | None = Query(None), end_date: str | None = Query(None),
    status: str | None = Query(None), jurisdiction_id: str | None = Query(None),
    api_key: str | None = Query(None),
) -> Response:
    """GET Service Requests: by ids, or by service, status and date (the last 90 days by default)."""
    def build():
        _jurisdiction(request, jurisdiction_id)
        query = _request_query(service_request_id, service_code, start_date, end_date, status)
        found = service.find_requests(session, query, utcnow())
        dataset = request.app.state.dataset
        return {"service_requests": [records.request_record(case, row, dataset) for case, row in found]}
    return answer(fmt, build)


def _request_query(ids, codes, start, end, status) -> service.RequestQuery:
    numbers = comma_list(_text("service_request_id", ids))
    if len(numbers) > service.MAX_IDS:
        raise Open311Error(400, f"at most {service.MAX_IDS} service_request_id values at once")
    statuses = comma_list(_text("status", status).lower())
    if any(value not in ("open", "closed") for value in statuses):
        raise Open311Error(400, "status must be open, closed or both (comma-delimited)")
    return service.RequestQuery(
        numbers=tuple(numbers), service_codes=tuple(comma_list(_text("service_code", codes))),
        statuses=tuple(sorted(set(statuses))),
        start=parse_w3c("start_date", _text("start_date", start)) if start else None,
        end=parse_w3c("end_date", _text("end_date", end)) if end else None,
    )


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(request: Request, service_request_id: str, fmt: str, session: Session = Depends(get_db),
                jurisdiction_id: str | None = Query(None)) -> Response:
    """GET Service Request: one request by its id (the case number)."""
    def build():
        _jurisdiction(request, jurisdiction_id)
        number = _text("service_request_id", service_request_id)
        found = service.find_requests(session, service.RequestQuery(numbers=(number,)), utcnow())
        if not found:
            raise Open311Error(404, f"no service request {number}")
        case, row = found[0]
        return {"service_requests": [records.request_record(case, row, request.app.state.dataset)]}
    return answer(fmt, build)


@router.get("/tokens/{token}.{fmt}")
def get_token(request: Request, token: str, fmt: str, session: Session = Depends(get_db),
              jurisdiction_id: str | None = Query(None)) -> Response:
    """GET request id from a token."""
    def build():
        _jurisdiction(request, jurisdiction_id)
        row = service.by_token(session, _text("token", token))
        if row is None:
            raise Open311Error(404, f"no service request for token {token}")
        return {"service_requests": [{"service_request_id": row.case.number, "token": row.token}]}
    return answer(fmt, build)
