"""Interface text of the agent's desk tools: case search, the caller list (abusive, prank), urgent alerts."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # case search (工单查询)
    "nav_search": ("工单查询", "Case search"),
    "search_title": ("工单查询", "Case search"),
    "search_phone": ("来电号码", "Caller's phone"),
    "search_name": ("来电人姓名", "Caller's name"),
    "search_words": ("诉求内容关键词", "Words in the request"),
    "search_words_hint": ("如：噪音 挖掘机", "e.g. noise excavator"),
    "search_from": ("受理日期从", "Received from"),
    "search_to": ("至", "to"),
    "search_received": ("受理时间", "Received"),
    "search_caller": ("来电人", "Caller"),
    "search_count": ("找到 {n} 件工单", "{n} cases found"),
    "search_count_capped": ("找到超过 {n} 件工单，请增加条件缩小范围",
                            "More than {n} cases found; add conditions to narrow it"),
    "search_ranked": ("按相关度排序", "best matches first"),
    "search_bad_number": ("工单编号格式不对，例如 FT20261126-0042（或某日 FT20261126）",
                          "Not a case number: e.g. FT20261126-0042 (or a day, FT20261126)"),
    "search_bad_phone": ("电话号码无效：请填写手机号或带区号的固定电话",
                         "Not a phone number: give a mobile number or a landline with its area code"),
    "search_bad_status": ("未知的工单状态", "Unknown case status"),
    "search_bad_date": ("日期无效，请按 年-月-日 填写", "Not a date: use year-month-day"),
    "search_bad_range": ("开始日期晚于结束日期", "The first day is after the last day"),
}
