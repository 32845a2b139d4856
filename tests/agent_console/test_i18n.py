"""The console's own words for the case service's errors and limits (the service's texts stay English)."""

from __future__ import annotations

import pytest

from agent_console import cases, i18n
from ticketing.sla.policy import Limit


def form_errors(form: dict) -> dict[str, cases.FieldError]:
    with pytest.raises(cases.FormInvalid) as caught:
        cases.parse_form(form)
    return caught.value.errors


def test_form_errors_from_the_service_carry_codes():
    errors = form_errors({"description": "", "caller_phone": "12", "caller_name": "x" * 101,
                          "priority": "whenever"})
    assert {name: e.code for name, e in errors.items()} == {
        "description": "required", "caller_phone": "invalid_phone", "caller_name": "too_long",
        "priority": "not_a_choice"}
    assert "phone number '12'" in errors["caller_phone"].message  # the service's text is kept


@pytest.mark.parametrize(("name", "error", "zh", "en"), [
    ("description", cases.FieldError("required", "String should have at least 1 character"),
     "此项必填", "String should have at least 1 character"),
    ("caller_name", cases.FieldError("too_long", "String should have at most 100 characters",
                                     {"max_length": 100}), "不能超过 100 个字", None),
    ("caller_phone", cases.FieldError("invalid_phone", "phone number '12' is not a valid number",
                                      {"value": "12"}),
     "电话号码无效：12（请填写手机号或带区号的固定电话）", None),
    ("street", cases.FieldError("unknown_reference", "unknown street 'nowhere'", {"value": "nowhere"}),
     "未知的街道：nowhere", "unknown street 'nowhere'"),
    ("category", cases.FieldError("unknown_reference", "unknown category 'x'", {"value": "x"}),
     "未知的诉求分类：x", None),
    ("number", cases.FieldError("unknown_case", "unknown case 'FT1'", {"value": "FT1"}),
     "找不到工单 FT1", None),
    ("form", cases.FieldError("invalid", "case FT1 was changed by someone else"),
     "此项填写有误（case FT1 was changed by someone else）", None),
    ("form", cases.FieldError("brand_new_code", "something new"), "something new", None),
    ("caller_name", cases.FieldError("too_long", "too long"), "too long", None),  # a value missing: as is
])
def test_field_errors_in_both_languages(name, error, zh, en):
    assert i18n.field_error(name, error, "zh") == zh
    assert i18n.field_error(name, error, "en") == (en or error.message)


@pytest.mark.parametrize(("limit", "zh", "en"), [
    (Limit("working_days", 3), "3个工作日", "3 working days"),
    (Limit("working_days", 1), "1个工作日", "1 working day"),
    (Limit("clock_hours", 24), "24小时", "24 clock hours"),
    (Limit("working_hours", 4), "4个工作小时", "4 working hours"),
    (Limit("same_working_day"), "当日（工作日）内", "same working day"),
    (Limit("next_working_day"), "下一个工作日内", "next working day"),
])
def test_limits_in_words(limit, zh, en):
    assert (i18n.limit_text(limit, "zh"), i18n.limit_text(limit, "en")) == (zh, en)


@pytest.mark.parametrize(("code", "params", "zh"), [
    ("illegal_transition", {"status": "acknowledged", "action": "acknowledge"},
     "工单当前状态为“已签收”，不能签收"),
    ("needs_input", {"action": "return"}, "退回需要填写说明（退回原因或答复内容）"),
    ("not_permitted", {"action": "resolve"}, "您的角色无权执行此操作"),
    ("already_with_bureau", {"action": "dispatch"},
     "工单已在该单位办理，改派请选择其他单位（原办理时限不重新计算）"),
    ("refused", {}, "操作未执行（the service's words）"),
    ("unknown_reference", {"action": "dispatch", "field": "bureau", "value": "nope"},
     "没有这个承办单位：nope（请从列表中选择或核对后重填）"),
    ("unknown_reference", {"action": "merge", "field": "case", "value": "FT0"},
     "没有这个工单编号：FT0（请从列表中选择或核对后重填）"),
    ("unknown_reference", {"action": "dispatch", "field": "gadget", "value": "x"},
     "没有这个选项：x（请从列表中选择或核对后重填）"),
])
def test_bureau_refusals(code, params, zh):
    assert i18n.refusal(code, params, "the service's words", "zh") == zh
    assert i18n.refusal(code, params, "the service's words", "en") == "the service's words"


@pytest.mark.parametrize(("target", "zh", "en"), [
    ("caller", "来电人号码和姓名", "Caller's number and name"),
    ("attachment:7", "附件 #7", "File #7"),
    ("call:1733140000.12", "通话 1733140000.12", "Call 1733140000.12"),
    ("李娜（分机 1001）", "李娜（分机 1001）", "李娜（分机 1001）"),  # a monitored agent: already in words
    (None, "", ""),
])
def test_audit_targets_in_words(target, zh, en):
    from agent_console.views.audit import target_words
    assert (target_words(target, "zh"), target_words(target, "en")) == (zh, en)


def test_reports_name_the_queues_as_the_console_does():
    """One queue, one name: the report once said 公共安全队列 for what the agent signs into as 治安交通."""
    from ticketing.report.service import queue_name
    queues = [key.removeprefix("queue_") for key in i18n.MESSAGES if key.startswith("queue_")]
    assert len(queues) == 10
    for queue in queues:
        key = f"queue_{queue}"
        assert queue_name(queue) == (i18n.translate(key, "zh"), i18n.translate(key, "en"))


def test_chinese_words_use_chinese_punctuation_and_english_words_english():
    """待审核(延期) beside 申请延期（3 个工作日）: one page, one kind of brackets and colons per language."""
    import re

    mixed = [(key, zh) for key, (zh, _en) in i18n.MESSAGES.items()
             if re.search(r"[\u4e00-\u9fff][(:]|[(][\u4e00-\u9fff]|[\u4e00-\u9fff][)]", zh)]
    mixed += [(key, en) for key, (_zh, en) in i18n.MESSAGES.items() if re.search(r"[：（）]", en)]
    assert not mixed


def test_no_words_name_a_file():
    """The hot-topics page said 阈值见 hot_topics.yaml: users are told of a list and who keeps it."""
    import re

    files = [(key, text) for key, pair in i18n.MESSAGES.items() for text in pair
             if re.search(r"\w\.(ya?ml|json|toml|csv|py|conf|ini)\b", text)]
    assert not files


def test_the_scripts_take_punctuation_from_the_catalogue():
    """agent.js wrote 主菜单（按键 9） on the English page too: punctuation comes from the catalogue."""
    import re
    from pathlib import Path

    static = Path(i18n.__file__).parent / "static"
    for script in ("agent.js", "agent_kb.js", "callbacks.js", "caselist.js", "wallboard.js", "phone.js"):
        code = "\n".join(line for line in (static / script).read_text().splitlines()
                         if not line.lstrip().startswith("//"))
        assert not re.findall(r"[：（），]", code), script
    assert [i18n.translate(f"punct_{k}", "en") for k in ("colon", "open", "close", "comma")] == \
        [": ", " (", ")", ", "]
