"""Interface text in Chinese (default) and English; pages and scripts look messages up by key."""

from __future__ import annotations

from typing import Any, Protocol

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # layout and login
    "app_title": ("12345 热线坐席台", "12345 Hotline Console"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误", "Wrong username or password"),
    "session_expired": ("会话已过期，请重新登录", "Your session has expired, please log in again"),
    "not_logged_in": ("请先登录", "Please log in"),
    "csrf_failed": ("安全校验失败（表单已过期或来源不明），请刷新页面后重试",
                    "Security check failed (stale or forged form); reload the page and try again"),
    "forbidden": ("您的角色无权访问此页面", "Your role may not open this page"),
    "switch_language": ("English", "中文"),
    "role_agent": ("话务员", "Agent"),
    "role_supervisor": ("班长", "Supervisor"),
    "role_bureau": ("承办单位", "Bureau"),
    "role_admin": ("管理员", "Administrator"),
    # agent presence
    "extension": ("分机", "Extension"),
    "queues": ("队列", "Queues"),
    "go_available": ("签入（示闲）", "Log in to queues"),
    "state_offline": ("离线", "Offline"),
    "state_available": ("空闲", "Available"),
    "state_paused": ("示忙", "Paused"),
    "state_ringing": ("振铃", "Ringing"),
    "state_on_call": ("通话中", "On call"),
    "state_wrapup": ("话后处理", "Wrap-up"),
    "pause": ("示忙", "Pause"),
    "resume": ("示闲", "Resume"),
    "end_wrapup": ("结束话后处理", "End wrap-up"),
    "sign_out_queues": ("签出", "Leave queues"),
    "reason_break": ("小休", "Break"),
    "reason_meal": ("用餐", "Meal"),
    "reason_training": ("培训", "Training"),
    "reason_callback": ("回访", "Callback"),
    "reason_phone": ("话机示忙", "Paused on phone"),
    "reason_wrapup": ("话后处理", "Wrap-up"),
    "seconds_left": ("剩余秒数", "seconds left"),
    "phone_not_registered": ("分机话机未注册，无法签入。请检查话机后重试。",
                             "The extension's phone is not registered; check the phone and try again."),
    "phone_lost": ("话机已离线（未注册），暂时无法接听来电",
                   "Your phone went offline (unregistered); calls cannot reach you"),
    "unknown_extension": ("未知分机", "Unknown extension"),
    "extension_taken": ("该分机已被其他坐席使用", "Another agent is using this extension"),
    "no_queue_chosen": ("请至少选择一个队列", "Choose at least one queue"),
    "already_logged_in": ("已签入", "Already logged in to queues"),
    "busy_on_call": ("通话中不能签出", "You cannot leave the queues during a call"),
    "cannot_pause": ("当前状态不能示忙", "You cannot pause in this state"),
    "cannot_resume": ("当前状态不能示闲", "You cannot resume in this state"),
    "pause_reason_required": ("请选择示忙原因", "Choose a pause reason"),
    "another_tab": ("坐席台已在另一个窗口打开，本窗口已停用",
                    "The console is open in another tab; this tab is inactive"),
    "take_over": ("在此窗口继续", "Use this tab"),
    "changed_meanwhile": ("状态已在别处更改，请重试", "The state changed elsewhere; try again"),
    "telephony_unavailable": ("电话系统无响应，状态未改变",
                              "The telephone system did not answer; nothing changed"),
    "asterisk_refused": ("电话系统拒绝了操作", "The telephone system refused the action"),
    "unknown_action": ("未知操作", "Unknown action"),
    "no_call": ("当前没有通话", "There is no call on your phone"),
    "not_in_queues": ("请先签入（选择分机）", "Log in to the queues (choose your extension) first"),
    "connection_lost": ("实时连接中断，正在重连…", "Live connection lost, reconnecting…"),
    # screen pop and call controls
    "incoming_call": ("来电", "Incoming call"),
    "waiting_for_call": ("暂无来电", "No call"),
    "caller": ("来电号码", "Caller"),
    "language": ("语言", "Language"),
    "ivr_path": ("语音导航路径", "IVR path"),
    "transcript": ("实时转写", "Live transcript"),
    "history": ("历史工单", "Earlier cases"),
    "no_history": ("无历史工单", "No earlier cases"),
    "hangup": ("挂断", "Hang up"),
    "transfer": ("转接", "Transfer"),
    "transfer_target": ("转接到队列或分机", "Queue or extension"),
    "callback_call": ("回拨", "Call back"),
    "call_ended": ("通话已结束", "The call ended"),
    "action_done": ("已完成", "Done"),
    "shortcuts": ("快捷键：Alt+A 示闲 · Alt+P 示忙 · Alt+H 挂断 · Alt+T 转接 · Alt+S 保存工单",
                  "Shortcuts: Alt+A resume · Alt+P pause · Alt+H hang up · Alt+T transfer · Alt+S save case"),
    # case form
    "new_case": ("新建工单", "New case"),
    "attach_case": ("关联已有工单", "Attach to existing case"),
    "case_number": ("工单编号", "Case number"),
    "description": ("诉求内容", "Description"),
    "caller_name": ("来电人姓名", "Caller name"),
    "street": ("街道", "Street"),
    "address": ("地址", "Address"),
    "category": ("诉求分类", "Category"),
    "bureau": ("承办单位", "Bureau"),
    "priority": ("紧急程度", "Priority"),
    "priority_normal": ("一般", "Normal"),
    "priority_urgent": ("紧急", "Urgent"),
    "suggest": ("智能分派建议", "Suggest routing"),
    "suggested": ("建议", "Suggested"),
    "deadlines": ("办理时限", "Deadlines"),
    "dispatch_by": ("派单时限", "Dispatch by"),
    "acknowledge_by": ("签收时限", "Acknowledge by"),
    "resolve_by": ("办结时限", "Resolve by"),
    "dispatch_now": ("立即派单", "Dispatch now"),
    "save_case": ("保存工单", "Save case"),
    "attach": ("关联", "Attach"),
    "case_created": ("工单已创建", "Case created"),
    "case_attached": ("通话已关联到工单", "Call attached to the case"),
    "invalid_form": ("表单有误，请检查标红的字段", "The form has errors; check the marked fields"),
    "unknown_case": ("找不到该工单", "No such case"),
    "choose": ("— 请选择 —", "— choose —"),
    "auto": ("（自动）", "(automatic)"),
    "community": ("社区", "Community"),
    # field errors from the case service, by code (English shows the service's own text)
    "field_required": ("此项必填", "This field is required"),
    "field_too_long": ("不能超过 {max_length} 个字", "At most {max_length} characters"),
    "field_not_a_choice": ("请从列表中选择", "Choose one of the listed values"),
    "field_invalid_phone": ("电话号码无效：{value}（请填写手机号或带区号的固定电话）",
                            "Not a valid phone number: {value}"),
    "field_unknown_reference": ("未知的{what}：{value}", "Unknown {what}: {value}"),
    "field_unknown_case": ("找不到工单 {value}", "No case {value}"),
    "field_no_caller_phone": ("该工单没有来电号码，无法回拨", "The case has no caller phone to call back"),
    "field_invalid": ("此项填写有误（{message}）", "{message}"),
    # deadlines in words
    "limit_clock_hours": ("{amount}小时", "{amount} hours"),
    "limit_working_hours": ("{amount}个工作小时", "{amount} working hours"),
    "limit_working_days": ("{amount}个工作日", "{amount} working days"),
    "limit_same_working_day": ("当个工作日内", "same working day"),
    "limit_next_working_day": ("下一个工作日内", "next working day"),
    # bureau actions refused by the case service, by code
    "refused_illegal_transition": ("工单当前状态为“{status}”，不能{action}",
                                   "A case that is {status} cannot be {action}"),
    "refused_needs_input": ("{action}需要填写说明（退回原因或答复内容）",
                            "{action} needs a note (reason or reply)"),
    "refused_not_permitted": ("您的角色无权执行此操作", "Your role may not do this"),
    "refused_unknown_case": ("找不到该工单", "No such case"),
    "refused_case_changed": ("工单已被他人同时修改，请刷新后重试",
                             "Someone else changed the case; reload and retry"),
    "refused_unknown_action": ("未知操作", "Unknown action"),
    "refused_refused": ("操作未执行（{message}）", "{message}"),
    # bureau
    "bureau_cases": ("本单位工单", "Our cases"),
    "status": ("状态", "Status"),
    "created_at": ("受理时间", "Received"),
    "actions": ("操作", "Actions"),
    "acknowledge": ("签收", "Acknowledge"),
    "return": ("退回", "Return"),
    "resolve": ("办结", "Resolve"),
    "note": ("说明", "Note"),
    "reply": ("答复内容", "Reply"),
    "no_cases": ("暂无工单", "No cases"),
    "action_refused": ("操作未执行", "The action was refused"),
    "status_new": ("待派单", "New"),
    "status_dispatched": ("待签收", "Dispatched"),
    "status_acknowledged": ("已签收", "Acknowledged"),
    "status_in_progress": ("办理中", "In progress"),
    "status_extension_requested": ("申请延期", "Extension requested"),
    "status_returned": ("已退回", "Returned"),
    "status_resolved": ("已办结", "Resolved"),
    "status_reopened": ("重办", "Reopened"),
    "status_closed": ("已归档", "Closed"),
    "status_merged": ("已合并", "Merged"),
    # wallboard
    "wallboard": ("监控大屏", "Wallboard"),
    "queue": ("队列", "Queue"),
    "waiting": ("排队数", "Waiting"),
    "longest_wait": ("最长等待(秒)", "Longest wait (s)"),
    "answered": ("今日接通", "Answered today"),
    "abandoned": ("今日放弃", "Abandoned today"),
    "service_level": ("服务水平(15秒)", "Service level (15 s)"),
    "agents": ("坐席", "Agents"),
    "state": ("状态", "State"),
    "duration": ("持续", "For"),
    "deadline_cases": ("临期 / 超期工单", "Cases near or past deadline"),
    "near": ("临期", "Near"),
    "overdue": ("超期", "Overdue"),
    "deadline": ("时限", "Deadline"),
    # reports, bulletin (通报)
    "reports": ("效能报表", "Reports"),
    "bulletin": ("考核通报", "Monthly bulletin"),
    "report_by": ("统计维度", "Group by"),
    "report_by_bureau": ("按承办单位", "By bureau"),
    "report_by_street": ("按街道", "By street"),
    "report_by_category": ("按诉求类别", "By category"),
    "report_by_agent": ("按话务员", "By agent"),
    "report_from": ("开始日期", "From"),
    "report_to": ("结束日期", "To"),
    "report_show": ("查询", "Show"),
    "report_name": ("名称", "Name"),
    "report_empty": ("该期间没有数据", "Nothing in this period"),
    "report_note": ("统计期间内受理的工单；办理时长按工作时间计（节假日、调休按日历）；“—”表示无可统计数据。",
                    "Cases received in the period; handling time counts working hours (holidays and make-up "
                    "days from the calendar); “—” means nothing to measure."),
    "report_received": ("受理量", "Received"),
    "report_on_time": ("按时办结率", "Resolved on time"),
    "report_satisfaction": ("满意率", "Satisfaction"),
    "report_trend_rates": ("近12个月按时办结率与满意率", "On time and satisfaction, last 12 months"),
    "report_trend_volume": ("近12个月受理量", "Cases received, last 12 months"),
    "report_acknowledged_on_time_pct": ("按时签收率", "Acknowledged on time"),
    "report_resolved_on_time_pct": ("按时办结率", "Resolved on time"),
    "report_satisfaction_pct": ("满意率", "Satisfaction"),
    "report_returned_pct": ("退回率", "Returned"),
    "report_reopened_pct": ("重办率", "Reopened"),
    "report_extended_pct": ("延期率", "Extended"),
    "report_bad_period": ("统计期间有误", "Wrong period"),
    "report_bad_export": ("无法导出", "Cannot export"),
    "download_csv": ("导出 CSV", "Download CSV"),
    "download_xlsx": ("导出 Excel", "Download Excel"),
    "bulletin_month": ("月份", "Month"),
    "bulletin_ranking": ("承办单位考核得分排名", "Bureaus ranked by score"),
    "bulletin_rules": ("考核权重", "Weights"),
    "bulletin_min_cases": ("参与评级的最少工单数", "Fewest cases for a grade:"),
    "points": ("分", " points"),
    "lower_better": ("越低越好", "lower is better"),
    "role_qa": ("质检员", "QA reviewer"),
    "qa": ("质检", "Quality review"),
    "qa_sample": ("待质检通话", "Calls to review"),
    "qa_none": ("暂无待质检的通话", "No calls waiting for review"),
    "qa_search": ("搜索通话文字", "Search transcripts"),
    "qa_found": ("搜索结果", "Found"),
    "qa_review": ("通话质检", "Call review"),
    "qa_recording": ("通话录音", "Recording"),
    "qa_no_recording": ("本通话没有录音", "This call has no recording"),
    "qa_side_caller": ("来电人", "Caller"),
    "qa_side_agent": ("话务员 / 语音导航", "Agent / IVR"),
    "qa_side_mixed": ("双方", "Both sides"),
    "qa_no_transcript": ("尚未转写", "Not transcribed yet"),
    "qa_checklist": ("质检评分表", "Checklist"),
    "qa_note": ("备注", "Note"),
    "qa_save": ("保存评分", "Save scores"),
    "qa_saved": ("已评分", "Scored"),
    "qa_total": ("得分", "Score"),
    "qa_started": ("来电时间", "Started"),
    "qa_agent": ("话务员", "Agent"),
    "qa_open": ("质检", "Review"),
    "qa_unknown_call": ("没有这个通话", "No such call"),
    # dispatch desk, bureau workspace, case page, supervision (issue 9)
    "role_dispatcher": ("派单员", "Dispatcher"),
    "nav_dispatch": ("派单台", "Dispatch desk"),
    "nav_workspace": ("本单位工单", "Our cases"),
    "nav_supervise": ("工单督办", "Case supervision"),
    "nav_wallboard": ("监控大屏", "Wallboard"),
    "nav_audit": ("访问审计", "Access audit"),
    "page_dispatch": ("派单台", "Dispatch desk"),
    "page_bureau": ("本单位工单", "Our cases"),
    "page_supervisor": ("工单督办", "Case supervision"),
    "tab_to_dispatch": ("待派单", "To dispatch"),
    "tab_unsure": ("待确认分派", "Routing unsure"),
    "tab_returned": ("已退回", "Returned"),
    "tab_reopened": ("重办", "Reopened"),
    "tab_dispatch_overdue": ("派单超时", "Dispatch overdue"),
    "tab_pending": ("待签收", "To acknowledge"),
    "tab_working": ("办理中", "In progress"),
    "tab_extension": ("待审核(延期)", "Extensions to decide"),
    "tab_resolved": ("已办结", "Resolved"),
    "tab_overdue": ("超期", "Overdue"),
    "tab_supervised": ("督办", "Under supervision"),
    "tab_assisting": ("协办", "Assisting"),
    "tab_all": ("全部", "All"),
    "tab_open": ("未办结", "Open"),
    "tab_near": ("临期", "Near deadline"),
    "filter": ("筛选", "Filter"),
    "search": ("搜索", "Search"),
    "search_placeholder": ("编号、诉求内容、地址", "Number, text, address"),
    "any": ("全部", "Any"),
    "deadline_near": ("临期及超期", "Near or past"),
    "deadline_overdue": ("已超期", "Overdue"),
    "supervised_only": ("仅督办", "Supervised only"),
    "next_page": ("下一页", "Next page"),
    "first_page": ("第一页", "First page"),
    "clear_filters": ("清除筛选", "Clear"),
    "routed_to": ("分派建议", "Routed to"),
    "return_reason": ("退回原因", "Return reason"),
    "open_case": ("查看办理", "Open"),
    "stage_dispatch": ("派单时限", "Dispatch by"),
    "stage_acknowledge": ("签收时限", "Acknowledge by"),
    "stage_resolve": ("办结时限", "Resolve by"),
    "sla_on_time": ("正常", "On time"),
    "sla_reminder": ("临期", "Near"),
    "sla_overdue": ("超期", "Overdue"),
    "clock_paused": ("已暂停计时", "Clock paused"),
    "case_page": ("工单详情", "Case"),
    "back_to_list": ("返回列表", "Back to list"),
    "reveal": ("显示完整号码和姓名（将记入审计）", "Show full number and name (audited)"),
    "masked": ("已脱敏", "masked"),
    "timeline": ("办理过程", "Timeline"),
    "who": ("操作人", "By"),
    "when": ("时间", "When"),
    "what": ("操作", "Action"),
    "status_change": ("状态", "Status"),
    "recordings": ("通话录音", "Call recordings"),
    "attachments": ("附件（照片、文件、留言录音）", "Attachments (photos, files, messages)"),
    "upload": ("上传附件", "Upload"),
    "upload_hint": ("支持 JPEG、PNG、GIF、WebP、PDF、WAV、MP3、Ogg，单个文件不超过 10 MB",
                    "JPEG, PNG, GIF, WebP, PDF, WAV, MP3 or Ogg, at most 10 MB each"),
    "none_yet": ("暂无", "None"),
    "orders": ("督办单", "Supervision orders"),
    "ordered_by": ("督办人", "Ordered by"),
    "answer_by": ("书面回复期限", "Answer by"),
    "order_answered": ("已回复", "Answered"),
    "unanswered": ("待回复", "Awaiting answer"),
    "automatic": ("系统自动", "automatic"),
    "notices": ("时限提醒", "Deadline notices"),
    "kind_reminder": ("临期提醒", "Reminder"),
    "kind_overdue": ("超期", "Overdue"),
    "kind_urge": ("催办", "Urged"),
    "kind_supervise": ("督办", "Supervision"),
    "lead_bureau": ("主办单位", "Lead bureau"),
    "assists": ("协办单位", "Assisting bureaus"),
    "proposal": ("分派建议", "Routing proposal"),
    "confidence": ("置信度", "Confidence"),
    "duplicates": ("疑似重复工单", "Possible duplicates"),
    "reason_same_caller": ("同一来电人", "same caller"),
    "reason_same_address": ("同一地址", "same address"),
    "reason_same_category_nearby": ("同街道同类诉求", "same category, same street"),
    "assigned_community": ("社区办理中", "With community"),
    "channel": ("来源", "Channel"),
    "ch_phone": ("电话", "Phone"),
    "ch_web": ("网站", "Web"),
    "ch_open311": ("Open311 接口", "Open311"),
    "ch_walk-in": ("来访", "Walk-in"),
    "kind_department": ("区直部门", "Departments"),
    "kind_street": ("街道办事处", "Street offices"),
    "field_note": ("说明", "Note"),
    "field_reason": ("原因", "Reason"),
    "field_reply": ("答复市民内容（必填）", "Reply to the resident (required)"),
    "field_answer": ("书面回复", "Written answer"),
    "field_days": ("延期工作日数", "Extra working days"),
    "field_bureau": ("承办单位（主办）", "Lead bureau"),
    "field_assist": ("协办单位（可多选）", "Assisting bureaus (any)"),
    "field_community": ("社区", "Community"),
    "field_target": ("合并到工单编号", "Merge into case number"),
    "field_public": ("对市民公开", "Visible to the resident"),
    "act_dispatch": ("派单", "Dispatch"),
    "act_acknowledge": ("签收", "Acknowledge"),
    "act_start": ("开始办理", "Start handling"),
    "act_note": ("填写办理进展", "Add progress note"),
    "act_request-extension": ("申请延期", "Request extension"),
    "act_approve-extension": ("批准延期", "Approve extension"),
    "act_refuse-extension": ("驳回延期", "Refuse extension"),
    "act_resolve": ("办结", "Resolve"),
    "act_return": ("退回", "Return"),
    "act_assign-community": ("转社区办理", "Pass to community"),
    "act_recall-community": ("社区交回", "Take back from community"),
    "act_supervise": ("督办", "Order supervision"),
    "act_answer-supervision": ("回复督办", "Answer supervision order"),
    "act_pause": ("暂停计时（等待补充材料）", "Pause clock (waiting for resident)"),
    "act_resume": ("恢复计时", "Resume clock"),
    "act_merge": ("合并为重复", "Merge as duplicate"),
    "act_reopen": ("重办", "Reopen"),
    "act_close": ("归档", "Close"),
    "act_attached": ("上传附件", "Upload"),
    "ev_create": ("受理", "Taken in"),
    "ev_dispatch": ("派单", "Dispatched"),
    "ev_acknowledge": ("签收", "Acknowledged"),
    "ev_start": ("开始办理", "Handling started"),
    "ev_return": ("退回", "Returned"),
    "ev_request-extension": ("申请延期", "Extension requested"),
    "ev_approve-extension": ("批准延期", "Extension approved"),
    "ev_refuse-extension": ("驳回延期", "Extension refused"),
    "ev_resolve": ("办结", "Resolved"),
    "ev_note": ("办理进展", "Progress note"),
    "ev_attach": ("添加附件", "Attachment added"),
    "ev_merge": ("合并为重复", "Merged as duplicate"),
    "ev_merge-in": ("并入重复工单", "Duplicate merged in"),
    "ev_sla-reminder": ("临期提醒", "Deadline reminder"),
    "ev_sla-overdue": ("超期", "Overdue"),
    "ev_urge": ("催办", "Urged"),
    "ev_supervise": ("督办", "Put under supervision"),
    "ev_answer-supervision": ("回复督办", "Supervision answered"),
    "ev_assign-community": ("转社区办理", "Passed to community"),
    "ev_recall-community": ("社区交回", "Back from community"),
    "ev_pause": ("暂停计时", "Clock paused"),
    "ev_resume": ("恢复计时", "Clock resumed"),
    "ev_close": ("归档", "Closed"),
    "ev_reopen": ("重办", "Reopened"),
    "ev_callback": ("回访", "Callback"),
    "media_unavailable": ("录音或文件不存在，或您无权访问",
                          "The recording or file does not exist or you may not open it"),
    "upload_too_large": ("文件超过大小上限（{max_bytes} 字节）", "The file is larger than {max_bytes} bytes"),
    "upload_bad_type": ("不支持此类文件（支持：{allowed}）", "This type of file is not accepted ({allowed})"),
    "upload_empty": ("文件为空", "The file is empty"),
    "audit_trail": ("访问审计", "Access audit"),
    "audit_unmask": ("查看完整号码和姓名", "Viewed full number and name"),
    "audit_play-recording": ("播放录音", "Played a recording"),
    "audit_open-attachment": ("打开附件", "Opened a file"),
    "audit_user": ("用户", "User"),
    "target": ("对象", "Target"),
    "detail": ("详情", "Detail"),
    "no_records": ("暂无记录", "No records"),
    "notices_recent": ("最新时限提醒", "Latest deadline notices"),
    "dispatched_to": ("派往", "Sent to"),
    "days_unit": ("个工作日", "working days"),
    "voice_message": ("市民留言录音", "Resident's voice message"),
}


def pick_language(requested: str | None, default: str = "zh") -> str:
    """Return a supported language code, falling back to the default."""
    return requested if requested in LANGUAGES else default


def translate(key: str, language: str) -> str:
    """Return the text of `key` in `language` (the key itself when unknown)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[LANGUAGES.index(language)] if language in LANGUAGES else pair[0]


def catalogue(language: str) -> dict[str, str]:
    """Return every message in one language (embedded in pages for the scripts)."""
    return {key: translate(key, language) for key in MESSAGES}


class FieldProblem(Protocol):
    """What the console's case layer reports about one field (agent_console.cases.FieldError)."""

    code: str
    message: str
    params: dict[str, Any]


def _format(key: str, language: str, values: dict[str, Any], fallback: str) -> str:
    """Fill a message's {placeholders}; the fallback (the service's text) when a value is missing."""
    try:
        return translate(key, language).format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback


def field_error(name: str, error: FieldProblem, language: str) -> str:
    """Return a case-form field's error in the interface language (English: the service's own text)."""
    if language == "en" or f"field_{error.code}" not in MESSAGES:
        return error.message
    what = translate(name, language) if name in MESSAGES else name
    values = {**error.params, "message": error.message, "what": what}
    return _format(f"field_{error.code}", language, values, error.message)


def limit_text(limit: Any, language: str) -> str:
    """Return a time limit (ticketing.sla Limit: kind, amount) in words, e.g. 3个工作日 / 3 working days."""
    if language == "en":
        return limit.describe()
    amount = int(limit.amount) if float(limit.amount).is_integer() else limit.amount
    return _format(f"limit_{limit.kind}", language, {"amount": amount}, limit.describe())


def refusal(code: str, params: dict[str, Any], message: str, language: str) -> str:
    """Return why the case service refused a bureau action, in the interface language."""
    if language == "en" or f"refused_{code}" not in MESSAGES:
        return message
    values = {**params, "message": message}
    if "status" in values:
        values["status"] = translate(f"status_{values['status']}", language)
    if "action" in values:
        action = str(values["action"])
        values["action"] = translate(f"act_{action}" if f"act_{action}" in MESSAGES else action, language)
    return _format(f"refused_{code}", language, values, message)


def upload_refusal(code: str, params: dict[str, Any], message: str, language: str) -> str:
    """Return why an uploaded file was refused, in the interface language."""
    if language == "en" and f"upload_{code}" not in MESSAGES:
        return message
    return _format(f"upload_{code}", language, dict(params), message)
