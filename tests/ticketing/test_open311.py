"""Open311 GeoReport v2 on SQLite and PostgreSQL: services, filing, tracking, tokens, errors, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import xmltodict
from sqlalchemy import select

from ticketing.case import flows
from ticketing.case.models import Case
from ticketing.database.core import session_scope
from ticketing.open311 import service

BASE = "/open311/v2"
PHONE = "13812345678"


@pytest.fixture
def api_key(session_factory) -> str:
    with session_scope(session_factory) as session:
        return service.issue_key(session, "district-app")


def file(client, api_key, **fields):
    form = {"api_key": api_key, "service_code": "noise-construction",
            "address_string": "福田区莲花街道景田路 8 号",
            "description": f"工地晚上施工太吵了，我的电话 {PHONE}", "phone": PHONE, "first_name": "小明",
            "last_name": "王", "email": "wang@example.org", **fields}
    return client.post(f"{BASE}/requests.json", data={k: v for k, v in form.items() if v is not None})


def test_service_list_has_one_service_per_leaf_category_in_json_and_xml(client, dataset):
    services = client.get(f"{BASE}/services.json").json()
    assert {s["service_code"] for s in services} == set(dataset.leaf_categories())
    noise = next(s for s in services if s["service_code"] == "noise-construction")
    assert noise["service_name"] == "建筑施工噪声" and noise["group"] == "噪声扰民"
    assert noise["metadata"] is False and noise["type"] == "realtime" and "环境" in noise["description"]
    xml = client.get(f"{BASE}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml") and xml.content.startswith(b"<?xml")
    parsed = xmltodict.parse(xml.content)["services"]["service"]
    assert len(parsed) == len(services) and {"service_code", "metadata"} <= set(parsed[0])
    definition = client.get(f"{BASE}/services/noise-construction.json").json()
    assert definition == {"service_code": "noise-construction", "attributes": []}
    assert client.get(f"{BASE}/services/nothing.json").json() == [
        {"code": 404, "description": "service_code 'nothing' is not a service of this endpoint"}]


def test_a_filed_request_becomes_a_case_and_is_tracked_without_personal_data(
    client, api_key, session_factory
):
    created = file(client, api_key, lat="22.5431", long="114.0579")
    assert created.status_code == 200, created.text
    (answer,) = created.json()
    number = answer["service_request_id"]
    assert number.startswith("FT") and answer["token"] and "受理" in answer["service_notice"]
    with session_factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert (case.channel, case.caller_phone, case.caller_name) == ("open311", "+8613812345678", "王小明")
        assert (case.category.code, case.street.code, case.status) == ("noise-construction", "lianhua", "new")
    (tracked,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert tracked["status"] == "open" and tracked["service_code"] == "noise-construction"
    assert tracked["lat"] == 22.5431 and tracked["address"].startswith("福田区莲花街道")
    assert tracked["requested_datetime"].endswith("+08:00")
    assert PHONE not in str(tracked) and "王" not in str(tracked) and "example.org" not in str(tracked)
    assert "138******78" in tracked["description"]
    tokens = client.get(f"{BASE}/tokens/{answer['token']}.json").json()
    assert tokens == [{"service_request_id": number, "token": answer["token"]}]


def test_resolved_request_is_closed_with_the_public_reply(client, api_key, session_factory, dataset):
    number = file(client, api_key).json()[0]["service_request_id"]
    with session_scope(session_factory) as session:
        flows.apply_action(session, dataset, number, "dispatch", {}, "centre")
        flows.apply_action(session, dataset, number, "acknowledge", {}, "env-clerk")
        reply = {"reply": "已责令工地停止夜间施工。"}
        flows.apply_action(session, dataset, number, "resolve", reply, "env-clerk")
    (tracked,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert (tracked["status"], tracked["status_notes"]) == ("closed", "已责令工地停止夜间施工。")
    assert tracked["agency_responsible"] == "生态环境局福田管理局"
    closed = client.get(f"{BASE}/requests.json", params={"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [number]
    assert client.get(f"{BASE}/requests.json", params={"status": "open"}).json() == []


def test_request_list_filters_and_the_ninety_day_window(client, api_key, session_factory):
    first = file(client, api_key).json()[0]["service_request_id"]
    second = file(client, api_key, service_code="illegal-parking").json()[0]["service_request_id"]
    with session_scope(session_factory) as session:
        old = session.scalar(select(Case).where(Case.number == first))
        old.created_at = datetime.now(UTC) - timedelta(days=120)
    listed = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [second]  # the default window is 90 days
    both = client.get(f"{BASE}/requests.json", params={"service_request_id": f"{first},{second}"}).json()
    assert {r["service_request_id"] for r in both} == {first, second}
    start = (datetime.now(UTC) - timedelta(days=130)).isoformat()
    end = (datetime.now(UTC) - timedelta(days=100)).isoformat()
    assert [r["service_request_id"] for r in client.get(
        f"{BASE}/requests.json", params={"start_date": start, "end_date": end}).json()] == [first]
    assert client.get(f"{BASE}/requests.json", params={"service_code": "noise-construction"}).json() == []
    xml = xmltodict.parse(client.get(f"{BASE}/requests.xml").content)
    assert xml["service_requests"]["request"]["service_request_id"] == second


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"start_date": "2026-11-01T00:00:00"}, 400, "time zone"),
    ({"start_date": "yesterday"}, 400, "W3C"),
    ({"start_date": "0001-01-01T00:00:00Z"}, 400, "out of range"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400, "90 days"),
    ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, 400, "before"),
    ({"status": "pending"}, 400, "open, closed"),
    ({"service_code": "noise\x00"}, 400, "NUL"),
    ({"jurisdiction_id": "elsewhere"}, 404, "not served"),
])
def test_bad_queries_answer_the_spec_error_format(client, params, status, words):
    response = client.get(f"{BASE}/requests.json", params=params)
    assert response.status_code == status
    (error,) = response.json()
    assert error["code"] == status and words in error["description"]


@pytest.mark.parametrize(("fields", "status", "words"), [
    ({"api_key": None}, 400, "api_key is required"),
    ({"api_key": "not-a-key"}, 403, "not valid"),
    ({"service_code": "nothing"}, 400, "not a service"),
    ({"service_code": None}, 400, "service_code is required"),
    ({"address_string": None}, 400, "location is required"),
    ({"address_string": None, "lat": "22.5", "long": "east"}, 400, "decimal degrees"),
    ({"address_string": None, "lat": "95", "long": "114"}, 400, "±90"),
    ({"address_string": None, "lat": "nan", "long": "114"}, 400, "±90"),
    ({"phone": "12"}, 400, "phone"),
    ({"description": "噪音\x00"}, 400, "NUL"),
    ({"description": "吵" * 4001}, 400, "longer than"),
])
def test_bad_submissions_are_refused_and_nothing_is_written(
    client, api_key, session_factory, fields, status, words
):
    fields = dict(fields)  # parametrized dicts are shared by both backends
    key = fields.pop("api_key") if "api_key" in fields else api_key
    response = file(client, key, **fields)
    assert response.status_code == status, response.text
    (error,) = response.json()
    assert error["code"] == status and words in error["description"]
    with session_factory() as session:
        assert session.scalars(select(Case)).all() == []


def test_errors_in_xml_and_unknown_formats(client, api_key, session_factory):
    form = {"api_key": "wrong", "service_code": "noise-construction"}
    response = client.post(f"{BASE}/requests.xml", data=form)
    assert response.status_code == 403
    root = ElementTree.fromstring(response.content)
    assert root.tag == "errors" and root.find("error/code").text == "403"
    assert client.get(f"{BASE}/services.html").status_code == 404
    assert client.get(f"{BASE}/requests/FT00000000-0000.xml").status_code == 404


def test_a_revoked_key_files_nothing(client, api_key, session_factory):
    with session_scope(session_factory) as session:
        service.revoke_key(session, "district-app")
    assert file(client, api_key).status_code == 403
    with session_scope(session_factory) as session:
        assert service.issue_key(session, "district-app")  # the name is free again
        with pytest.raises(service.ClientError):
            service.issue_key(session, "district-app")


def test_discovery_points_at_this_endpoint(client):
    document = client.get(f"{BASE}/discovery.json").json()
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and "application/json" in endpoint["formats"]
    xml = xmltodict.parse(client.get(f"{BASE}/discovery.xml").content)
    assert xml["discovery"]["endpoints"]["endpoint"]["formats"]["format"] == ["text/xml", "application/json"]


@pytest.fixture
def live_server(app):
    """The API served by uvicorn on a free loopback port, for an HTTP client library."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}{BASE}"
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_library_lists_and_tracks(live_server, client, api_key, fmt):
    from georeport import GeoReport

    number = file(client, api_key).json()[0]["service_request_id"]
    open311 = GeoReport(live_server, output_format=fmt)
    codes = [s["service_code"] for s in open311.get_service_list()]
    assert "noise-construction" in codes and len(codes) > 30
    definition = open311.get_service_definition("noise-construction")
    assert definition["service_code"] == "noise-construction"
    listed = open311.get_service_requests(status="open")
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict gives one request as a dict
    assert [r["service_request_id"] for r in listed] == [number]
    tracked = open311.get_service_request(number)
    assert tracked["status"] == "open" and tracked["service_name"] == "建筑施工噪声"


def test_keys_commands_issue_list_and_revoke(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hotline.cli import app as hotline
    from ticketing.database.core import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(hotline, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(hotline, ["open311", "keys", "create", "district-app"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        assert service.client_for_key(session, key).name == "district-app"
    listed = runner.invoke(hotline, ["open311", "keys", "list"]).output
    assert "district-app" in listed and key[:8] in listed and "active" in listed and key not in listed
    again = runner.invoke(hotline, ["open311", "keys", "create", "district-app"])
    assert again.exit_code != 0 and "exists already" in again.output
    assert runner.invoke(hotline, ["open311", "keys", "revoke", "district-app"]).exit_code == 0
    with session_scope(make_session_factory(engine)) as session, pytest.raises(Exception, match="not valid"):
        service.client_for_key(session, key)
    unknown = runner.invoke(hotline, ["open311", "keys", "revoke", "nobody"])
    assert unknown.exit_code != 0 and "no client named" in unknown.output
    engine.dispose()
