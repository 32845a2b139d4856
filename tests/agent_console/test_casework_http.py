"""Dispatch desk, bureau workspace, case page and supervisor list over real HTTP (uvicorn, PostgreSQL)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.agent_console.support import ConsoleClient
from ticketing.audit.models import AccessRecord
from ticketing.case.models import Case
from ticketing.database.core import session_scope

pytestmark = pytest.mark.postgres
PASSWORDS = {
    "dispatcher1": "dispatcher-pass",
    "urban1": "bureau-pass",
    "env1": "bureau-pass",
    "futian1": "bureau-pass",
    "supervisor1": "supervisor-pass",
    "agent1": "agent-pass",
    "admin": "admin-pass",
}


@pytest.fixture
async def running(make_app, serve):
    app, console, _bridge = make_app()
    base = await serve(app)
    clients: list[ConsoleClient] = []

    async def client(username: str) -> ConsoleClient:
        c = ConsoleClient(base)
        clients.append(c)
        await c.login(username, PASSWORDS[username])
        return c

    yield base, console, client
    for c in clients:
        await c.close()


async def new_case(
    agent: ConsoleClient,
    description: str,
    street: str = "futian",
    dispatch: bool = False,
    phone: str = "13800138000",
) -> str:
    data = {
        "description": description,
        "caller_phone": phone,
        "caller_name": "王先生",
        "street": street,
        "address": "福田街道岗厦村东坊",
    }
    if dispatch:
        data["dispatch"] = "on"
    created = await agent.post("/console/agent/cases", data=data)
    assert created.status_code == 200, created.text
    return created.json()["case"]["number"]


async def act(c: ConsoleClient, number: str, action: str, **fields) -> str:
    response = await c.post(
        f"/console/cases/{number}/actions/{action}", data={"csrf_token": c.csrf, **fields}
    )
    assert response.status_code == 303, response.text
    return unquote(response.headers["location"])


def case_of(console, number: str) -> Case:
    with session_scope(console.session_factory) as session:
        case = session.query(Case).filter_by(number=number).one()
        session.expunge(case)
        return case


async def test_dispatcher_lands_on_the_desk_and_dispatches_with_an_assisting_bureau(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "路边垃圾堆积很久没人清理，臭味很大")
    desk = await client("dispatcher1")
    assert (await desk.http.get("/console/")).headers["location"] == "/console/dispatch"
    listing = await desk.http.get("/console/dispatch")
    assert listing.status_code == 200 and number in listing.text and "待派单" in listing.text
    page = await desk.http.get(f"/console/cases/{number}")
    assert "分派建议" in page.text and "138****8000" in page.text and "13800138000" not in page.text
    where = await act(desk, number, "dispatch", bureau="urban-mgmt", assist="environment")
    assert "done=dispatch" in where
    case = case_of(console, number)
    assert case.status == "dispatched" and case.sla_stage == "acknowledge" and case.sla_next_at is not None
    helper = await client("env1")
    assert number in (await helper.http.get("/console/bureau?tab=assisting")).text
    refused = await act(helper, number, "acknowledge")
    assert "error=" in refused  # an assisting bureau only adds notes
    assert "done=note" in await act(helper, number, "note", note="环境局已派人到场协助")


async def test_bureau_walks_a_case_to_resolved_with_an_approved_extension(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "小区门口路灯坏了一个星期，晚上很黑", dispatch=True)
    clerk = await client("urban1")
    pending = await clerk.http.get("/console/bureau")
    assert number in pending.text and 'data-testid="bureau-cases"' in pending.text
    done = await clerk.post(
        f"/console/bureau/cases/{number}/acknowledge?tab=pending", data={"csrf_token": clerk.csrf}
    )
    assert "done=acknowledge" in done.headers["location"]
    assert number in (await clerk.http.get("/console/bureau?tab=working")).text
    page = await clerk.http.get(f"/console/cases/{number}")
    assert "138****8000" in page.text and "王**" in page.text and "13800138000" not in page.text
    assert "?reveal=1" not in page.text  # bureau clerks do not hold the unmask right
    assert "done=start" in await act(clerk, number, "start")
    assert "error=" in await act(clerk, number, "request-extension", days="3", reason="")
    assert "done=request-extension" in await act(
        clerk, number, "request-extension", days="3", reason="需更换整根灯杆，等待配件"
    )
    assert number in (await clerk.http.get("/console/bureau?tab=extension")).text
    clerk.http.cookies.set("console_lang", "en")  # English punctuation on the English page
    english = _visible((await clerk.http.get(f"/console/cases/{number}")).text)
    assert "Extension requested: 3 working days" in english
    assert "Extension requested (3 working days)" in english
    assert not re.findall(r"[：（）]", english), english
    clerk.http.cookies.set("console_lang", "zh")
    assert "申请延期（3 个工作日）" in _visible((await clerk.http.get(f"/console/cases/{number}")).text)
    before = case_of(console, number).resolve_by
    boss = await client("supervisor1")
    assert number in (await boss.http.get("/console/supervise?tab=extension")).text
    assert "done=approve-extension" in await act(boss, number, "approve-extension", days="3")
    after = case_of(console, number)
    assert after.status == "in_progress" and after.resolve_by > before and after.extended_days == 3
    missing = await act(clerk, number, "resolve", reply="")
    assert "办结需要填写说明" in missing or "error=" in missing
    assert "done=resolve" in await act(clerk, number, "resolve", reply="已更换灯杆，路灯恢复照明")
    assert number in (await clerk.http.get("/console/bureau?tab=resolved")).text
    timeline = (await clerk.http.get(f"/console/cases/{number}")).text
    assert "当前状态没有进行中的时限 · 办结于" in timeline  # the 时限 card says why it has no deadline
    assert "回访：等待" in _visible(timeline)  # ... and what comes next: the survey call (回访)
    from ticketing.callback import service as callbacks
    from ticketing.callback.models import CallbackTask
    from ticketing.database.types import utcnow
    with session_scope(console.session_factory) as session:
        callbacks.schedule(session, console.dataset, utcnow())  # unless the console's dialer did already
        task = session.query(CallbackTask).filter_by(case_id=after.id).one()
        task.status = "agent"  # the survey calls went unanswered
    handed = _visible((await clerk.http.get(f"/console/cases/{number}")).text)
    assert "等待话务员人工回访（回访任务） · 回访时限" in handed, handed
    for step in ("受理", "派单", "签收", "开始办理", "申请延期", "批准延期", "办结"):
        assert step in timeline
    # People by name, never by login: 城管局 张伟 signed, 值班长 王敏 approved.
    assert "城管局 张伟" in timeline and "值班长 王敏" in timeline
    assert "<td>urban1</td>" not in timeline and "<td>supervisor1</td>" not in timeline
    # 城管局 is a department, not a street office: no 转社区办理 form with an empty community list.
    assert 'data-form="assign-community"' not in timeline


async def test_return_needs_a_reason_and_reaches_the_desk_with_it(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "路边垃圾桶满了没人清", dispatch=True)
    clerk = await client("urban1")
    assert "error=" in await act(clerk, number, "return", reason="")
    assert "done=return" in await act(clerk, number, "return", reason="属物业管理范围，非城管职责")
    desk = await client("dispatcher1")
    returned = await desk.http.get("/console/dispatch?tab=returned")
    assert number in returned.text and "属物业管理范围" in returned.text
    assert "done=dispatch" in await act(desk, number, "dispatch", bureau="housing")
    assert case_of(console, number).status == "dispatched"


async def test_a_reopened_case_reaches_the_desk_with_why(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "路灯不亮很久了", dispatch=True)
    clerk = await client("urban1")
    await clerk.post(f"/console/bureau/cases/{number}/acknowledge", data={"csrf_token": clerk.csrf})
    assert "done=resolve" in await act(clerk, number, "resolve", reply="已修复")
    boss = await client("supervisor1")
    assert "done=reopen" in await act(boss, number, "reopen", note="市民来电说仍然不亮")
    desk = await client("dispatcher1")
    reopened = (await desk.http.get("/console/dispatch?tab=reopened")).text
    assert number in reopened and "重办原因：市民来电说仍然不亮" in reopened
    row = reopened[reopened.index(f'data-number="{number}"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r"<td>\s*<span class=\"muted\">—</span></td>", row)  # no clock runs: a dash, not a blank


async def test_street_office_passes_a_case_to_a_community_and_takes_it_back(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "楼道里堆满杂物，存在消防隐患")
    desk = await client("dispatcher1")
    await act(desk, number, "dispatch", bureau="street-futian")
    street = await client("futian1")
    await street.post(f"/console/bureau/cases/{number}/acknowledge", data={"csrf_token": street.csrf})
    page = await street.http.get(f"/console/cases/{number}")
    assert 'data-form="assign-community"' in page.text  # a street office passes cases to its communities
    community = re.search(r'<select name="community" required>\s*<option value="([^"]+)"', page.text).group(1)
    assert "done=assign-community" in await act(street, number, "assign-community", community=community)
    assert case_of(console, number).assigned_community_id is not None
    assert "done=recall-community" in await act(street, number, "recall-community", note="社区已清理完毕")
    assert case_of(console, number).assigned_community_id is None


async def test_supervisor_reveals_a_caller_and_the_admin_reads_the_trail(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "噪音扰民，请尽快处理", dispatch=True, phone="13912345678")
    boss = await client("supervisor1")
    masked = await boss.http.get(f"/console/cases/{number}")
    assert "139****5678" in masked.text and "?reveal=1" in masked.text
    shown = await boss.http.get(f"/console/cases/{number}?reveal=1")
    assert "+8613912345678" in shown.text
    with session_scope(console.session_factory) as session:
        rows = session.query(AccessRecord).filter_by(case_number=number).all()
        assert [(r.username, r.action) for r in rows] == [("supervisor1", "unmask")]
    clerk = await client("urban1")
    assert "+8613912345678" not in (await clerk.http.get(f"/console/cases/{number}?reveal=1")).text
    own = await boss.http.get(f"/console/audit?case={number}")  # supervisors see the monitoring part only
    assert own.status_code == 200 and "查看完整号码和姓名" not in own.text
    admin = await client("admin")
    trail = await admin.http.get(f"/console/audit?case={number}")
    assert "supervisor1" in trail.text and "查看完整号码和姓名" in trail.text
    # what was opened and why, in the page's words: no stored code ("caller") or English sentence
    assert "来电人号码和姓名" in trail.text and "在工单页显示完整号码和姓名" in trail.text
    assert ">caller<" not in trail.text and "shown on the case page" not in trail.text
    admin.http.cookies.set("console_lang", "en")
    trail = await admin.http.get(f"/console/audit?case={number}")
    assert "Caller&#39;s number and name" in trail.text and "Viewed full number and name" in trail.text


# page -> roles that may open it; every other role is refused (403), bureau users see only their cases.
PAGES = {
    "/console/dispatch": {"dispatcher1", "supervisor1", "admin"},
    "/console/supervise": {"supervisor1", "admin"},
    "/console/audit": {"supervisor1", "admin"},  # a supervisor: only its monitoring part (test_monitor_audit)
    "/console/bureau": {"urban1", "env1"},
}


@pytest.mark.parametrize("path", sorted(PAGES))
async def test_role_matrix_of_the_pages(running, path):
    base, console, client = running
    for username in ("dispatcher1", "supervisor1", "admin", "urban1", "env1", "agent1"):
        c = await client(username)
        status = (await c.http.get(path)).status_code
        assert (status == 200) == (username in PAGES[path]), (username, path, status)
        assert status in (200, 403)


async def test_another_bureaus_case_is_not_found_by_number_action_or_attachment(running, tmp_path):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "小区门口路灯坏了", dispatch=True)
    other = await client("env1")
    assert (await other.http.get(f"/console/cases/{number}")).status_code == 404
    assert "error=" in await act(other, number, "acknowledge")
    assert (await other.http.get(f"/console/cases/{number}/attachments/1")).status_code == 404
    assert (await other.http.get(f"/console/cases/{number}/calls/1/recording")).status_code == 404
    owner = await client("urban1")
    assert (await owner.http.get(f"/console/cases/{number}")).status_code == 200


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(page: str, number: str) -> str:
    row = page[page.index(f'data-number="{number}"'):]
    return row[row.index(">") + 1:row.index("</tr>")]


async def test_routing_explanation_is_in_words_of_the_page_language(running):
    base, console, client = running
    dataset = console.dataset
    agent = await client("agent1")
    number = await new_case(agent, "想咨询一下孩子上小学的学位申请流程", street="huafu")
    desk = await client("dispatcher1")
    codes = {*dataset.categories, *dataset.streets, *dataset.bureaus}
    row = _visible(_row((await desk.http.get("/console/dispatch")).text, number)).replace(number, "")
    # Chinese page: the suggestion names the category, the words and the street, and no code or English.
    assert "区教育局" in row and "“学位入学”" in row and "华富街道" in row and "分派至" in row
    assert not re.search(r"[A-Za-z]{2,}", row), row
    card = (await desk.http.get(f"/console/cases/{number}")).text
    proposal = _visible(card.split('data-testid="proposal">', 1)[1].split("</p>", 1)[0])
    assert "分派至" in proposal and not re.search(r"[A-Za-z]{2,}", proposal), proposal
    # English page: English names, still no codes.
    desk.http.cookies.set("console_lang", "en")
    row = _visible(_row((await desk.http.get("/console/dispatch")).text, number)).replace(number, "")
    assert "sent to District Education Bureau" in row, row
    assert not [code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", row)], row


async def test_a_returned_case_suggestion_and_explanation_name_the_same_bureau(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "路边垃圾桶满了没人清")
    desk = await client("dispatcher1")
    # The desk sends it by hand elsewhere than routing would; that bureau returns it.
    assert "done=dispatch" in await act(desk, number, "dispatch", bureau="environment")
    clerk = await client("env1")
    assert "done=return" in await act(clerk, number, "return", reason="属城管职责，非环境局")
    cell = _row((await desk.http.get("/console/dispatch?tab=returned")).text, number)
    before, after = cell.split('<div class="small muted" data-testid="explanation">', 1)
    suggestion = _visible(before.rsplit("<td>", 1)[1]).strip()
    explanation = _visible(after.split("</div>", 1)[0])
    assert suggestion == "区城市管理和综合执法局" and explanation.endswith("分派至" + suggestion + "。"), cell
    assert "退回单位：生态环境局福田管理局" in _visible(cell)


async def test_knowledge_base_and_users_name_bureaus_in_the_page_language(running):
    base, console, client = running
    admin = await client("admin")
    saved = await admin.post("/console/knowledge/save", json={
        "code": "street-light-broken", "question": "路灯坏了找谁", "answer": "城管局负责路灯维修。",
        "bureau": "urban-mgmt"})
    assert saved.status_code == 200, saved.text
    for body in ([1, 2], "text", None):  # not an object: a clear 422, never a 500
        refused = await admin.post("/console/knowledge/save", json=body)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_form", refused.text
    broken = await admin.http.post("/console/knowledge/save", content=b"{not json", headers={
        "content-type": "application/json", "X-CSRF-Token": admin.csrf, "X-Console-Tab": admin.tab})
    assert broken.status_code == 422, broken.text
    row = _row((await admin.http.get("/console/knowledge")).text.replace(
        'data-code="street-light-broken"', 'data-number="street-light-broken"'), "street-light-broken")
    assert "区城市管理和综合执法局" in _visible(row)
    admin.http.cookies.set("console_lang", "en")
    row = _row((await admin.http.get("/console/knowledge")).text.replace(
        'data-code="street-light-broken"', 'data-number="street-light-broken"'), "street-light-broken")
    assert "District Urban Management and Law Enforcement Bureau" in _visible(row)
    assert "区城市管理" not in _visible(row).split("城管局负责路灯维修。")[1], row
    users = _visible((await admin.http.get("/console/users")).text)
    assert "Bureau District Urban Management and Law Enforcement Bureau" in users
    assert "区城市管理" not in users


async def test_a_case_routing_could_not_place_offers_no_bureau_until_one_is_chosen(running):
    base, console, client = running
    agent = await client("agent1")
    unplaced = await new_case(agent, "有件事想咨询一下", street="")
    assert case_of(console, unplaced).bureau.kind == "centre"  # at the triage desk: the desk chooses
    desk = await client("dispatcher1")
    form = (await desk.http.get(f"/console/cases/{unplaced}")).text.split('data-form="dispatch"', 1)[1]
    # the first bureau in the list (区民政局) was preselected: one click sent the case there
    assert '<option value="" selected>— 请选择 —</option>' in form.split("</select>", 1)[0]
    placed = await new_case(agent, "路边垃圾堆积很久没人清理，臭味很大")
    form = (await desk.http.get(f"/console/cases/{placed}")).text.split('data-form="dispatch"', 1)[1]
    assert "— 请选择 —" not in form.split("</select>", 1)[0] and 'value="urban-mgmt" selected' in form


async def test_a_voice_message_plays_once_with_its_transcript_and_the_trail_names_no_file(running, tmp_path):
    from ticketing.case import service as case_service

    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "热线留言（普通话），请听录音。")
    audio = tmp_path / "message-hc-0123456789abcdef-b349a7.wav"
    audio.write_bytes(b"RIFF")
    with session_scope(console.session_factory) as session:  # as the IVR and the speech worker attach them
        case_service.add_attachment(session, number, "recording", path=str(audio), actor="ivr")
        case_service.add_attachment(session, number, "transcript", path=str(audio), transcript="工地晚上施工",
                                    actor="speech")
    desk = await client("dispatcher1")
    page = (await desk.http.get(f"/console/cases/{number}")).text
    assert page.count('data-testid="attachment-audio"') == 1  # one message, one player
    assert page.count("工地晚上施工") == 2  # under the player, and in the trail
    timeline = _visible(page.split('data-testid="timeline"', 1)[1].split("</table>", 1)[0])
    assert "市民留言录音" in timeline and "留言转写：工地晚上施工" in timeline
    assert "message-hc-" not in page


async def test_a_bulletin_month_without_scores_says_so_instead_of_an_empty_chart(running):
    base, console, client = running
    boss = await client("supervisor1")
    page = (await boss.http.get("/console/reports/bulletin?month=2019-01")).text
    charts = page.split('data-testid="charts">', 1)[1].split("</section>", 1)[0]
    assert "<svg" not in charts, charts  # it was an empty box with a dash in it
    assert "本月暂无考核得分" in _visible(charts) and "工单数达到" in _visible(charts), charts
    boss.http.cookies.set("console_lang", "en")
    charts = (await boss.http.get("/console/reports/bulletin?month=2019-01")).text.split(
        'data-testid="charts">', 1)[1].split("</section>", 1)[0]
    assert "No scores this month" in _visible(charts) and "<svg" not in charts, charts


async def test_an_unknown_bureau_or_case_in_a_hand_made_request_is_refused_in_the_page_language(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "路边垃圾堆积很久没人清理，臭味很大")
    desk = await client("dispatcher1")
    where = await act(desk, number, "dispatch", bureau="nope")
    assert "error=没有这个承办单位：nope" in where and "unknown" not in where, where
    where = await act(desk, number, "merge", target="FT-nope")
    assert "error=没有这个工单编号：FT-nope" in where, where
    assert case_of(console, number).status == "new"  # nothing changed
    desk.http.cookies.set("console_lang", "en")
    assert "error=unknown bureau 'nope'" in await act(desk, number, "dispatch", bureau="nope")


async def test_a_returned_case_is_not_proposed_to_the_bureau_that_returned_it(running):
    base, console, client = running
    agent = await client("agent1")
    number = await new_case(agent, "路边垃圾桶满了没人清", dispatch=True)  # routing: 城管局
    assert case_of(console, number).bureau.code == "urban-mgmt"
    clerk = await client("urban1")
    assert "done=return" in await act(clerk, number, "return", reason="属物业管理范围，非城管职责")
    desk = await client("dispatcher1")
    cell = _row((await desk.http.get("/console/dispatch?tab=returned")).text, number)
    suggestion = _visible(cell.split('<div class="small muted" data-testid="explanation">', 1)[0]
                          .rsplit("<td>", 1)[1]).strip()
    assert suggestion == "福田街道办事处", cell  # it was 区城市管理和综合执法局, the bureau that returned it
    assert "退回单位：区城市管理和综合执法局" in _visible(cell)
    page = (await desk.http.get(f"/console/cases/{number}")).text
    proposal = _visible(page.split('data-testid="proposal">', 1)[1].split("</p>", 1)[0])
    assert "福田街道办事处" in proposal and "城市管理" not in proposal, proposal
    returned = _visible(page.split('data-testid="returned-by">', 1)[1].split("</p>", 1)[0])
    assert "区城市管理和综合执法局" in returned and "属物业管理范围" in returned, returned
    form = page.split('data-form="dispatch"', 1)[1].split("</select>", 1)[0]
    assert 'value="urban-mgmt" selected' not in form and 'value="street-futian" selected' in form, form
    desk.http.cookies.set("console_lang", "en")
    page = (await desk.http.get(f"/console/cases/{number}")).text
    returned = _visible(page.split('data-testid="returned-by">', 1)[1].split("</p>", 1)[0])
    assert "Returned by: District Urban Management" in returned and "leaves this bureau out" in returned
