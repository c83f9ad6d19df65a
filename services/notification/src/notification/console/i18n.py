"""The console's words in Chinese (the default) and English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

LANGS: Final = ("zh", "en")
HTML_LANG: Final = {"zh": "zh-CN", "en": "en"}

WORDS: Final[dict[str, tuple[str, str]]] = {
    "console": ("训力券业务办理平台", "Compute-voucher console"),
    "skip": ("跳至正文", "Skip to content"),
    "nav": ("主导航", "Main navigation"),
    "queue": ("待办案件", "Queue"),
    "overview": ("总览", "Overview"),
    "dead_letters": ("死信队列", "Dead letters"),
    "public_notices": ("社会公示页面", "Public notice pages"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "role_operator": ("经办人员", "operator"),
    "role_auditor": ("审计人员（只读）", "auditor (read only)"),
    "role_submitter": ("申报单位", "submitter"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "language": ("English", "中文"),
    "token": ("访问令牌", "Access token"),
    "token_hint": (
        "粘贴签发给您的访问令牌（经办人员或审计人员）。",
        "Paste the access token issued to you (operator or auditor).",
    ),
    "dev_sign_in": ("本地模式快捷登录", "Local mode: sign in as"),
    "dev_sign_in_hint": (
        "仅在本地模式下提供，签发一个本地令牌。",
        "Only in local mode; issues a local token.",
    ),
    "sign_in_as": ("以此身份登录：", "Sign in as "),
    "bad_token": ("令牌无效或已过期。", "The token is not valid or has expired."),
    "refused_title": ("无法办理", "Refused"),
    "forbidden_submitter": (
        "申报单位的令牌不能进入业务办理平台。",
        "A submitter's token does not open the console.",
    ),
    "forbidden_read_only": (
        "审计人员只能查阅，不能办理任何事项；未作任何更改。",
        "Auditors read everything and act on nothing; nothing was changed.",
    ),
    "forbidden_csrf": (
        "表单已失效或并非来自本平台，未作任何更改。请刷新页面后重试。",
        "The form has expired or did not come from this console; nothing was changed. "
        "Reload the page and try again.",
    ),
    "not_allowed": (
        "该案件当前状态不允许此操作，未作任何更改。",
        "The case's state does not allow this; nothing was changed.",
    ),
    "not_found": ("未找到。", "Not found."),
    "invalid_input": ("填写的内容有误，未作任何更改：", "Some input is not valid; nothing was changed: "),
    "back": ("返回", "Back"),
    "back_to_case": ("返回案件", "Back to the case"),
    # the queue
    "filter": ("筛选", "Filter"),
    "status": ("状态", "Status"),
    "all_statuses": ("全部状态", "All statuses"),
    "search": ("申请编号、统一社会信用代码或申请单位名称", "Application id, USCC or applicant name"),
    "apply": ("查询", "Search"),
    "cases_found": ("共 {total} 件，第 {page}/{pages} 页", "{total} cases, page {page} of {pages}"),
    "application_id": ("申请编号", "Application id"),
    "applicant": ("申请单位", "Applicant"),
    "uscc": ("统一社会信用代码", "USCC"),
    "project": ("项目名称", "Project"),
    "opened_at": ("受理时间", "Accepted"),
    "working_days": ("已用工作日", "Working days taken"),
    "days_left": ("距60个工作日时限", "Left of the 60-working-day limit"),
    "days_over": ("已超时限 {n} 天", "{n} days past the limit"),
    "days_left_n": ("剩余 {n} 天", "{n} days left"),
    "previous": ("上一页", "Previous page"),
    "next": ("下一页", "Next page"),
    "pagination": ("分页", "Pagination"),
    "no_cases": ("没有符合条件的案件。", "No case matches."),
    "open_notice": ("开启社会公示批次", "Open a public-notice batch"),
    "awaiting_count": ("待公示案件 {n} 件。", "{n} cases await a public notice."),
    # statuses and checks
    "st_checking": ("形式审查及委托核查中", "Checking"),
    "st_needs_review": ("待人工复核", "Needs review"),
    "st_rejected": ("不予立项", "Rejected"),
    "st_awaiting_notice": ("拟立项，待社会公示", "Awaiting notice"),
    "st_in_public_notice": ("社会公示中", "In public notice"),
    "st_objection_raised": ("公示异议处理中", "Objection raised"),
    "st_approved": ("已审定，发放训力券", "Approved"),
    "st_notice_opened_by": ("开启公示批次", "Opened the notice batch"),
    "st_objection_recorded_by": ("代为登记异议", "Recorded an objection for a caller"),
    "st_letter_sent_again_by": ("要求重新发送函件", "Asked for a letter to be sent again"),
    "st_letter_sent": ("函件已发出", "Letter sent"),
    "ck_eligibility": ("资格审查", "Eligibility"),
    "ck_conflict_of_interest": ("关联关系审查", "Conflict of interest"),
    "ck_verification": ("材料核查", "Materials"),
    "res_pass": ("通过", "passed"),
    "res_fail": ("未通过", "failed"),
    "res_review": ("需人工复核", "for review"),
    "res_pending": ("待定", "pending"),
}

WORDS_CASE: Final[dict[str, tuple[str, str]]] = {
    "case": ("案件", "Case"),
    "summary": ("概况", "Summary"),
    "notice_period": ("公示期", "Notice period"),
    "approved_on": ("批准日期", "Approved on"),
    "org_type": ("单位类型", "Organisation type"),
    "registered_on": ("注册日期", "Registered on"),
    "district": ("注册地", "Registered in"),
    "legal_rep": ("法定代表人", "Legal representative"),
    "contact": ("联系方式", "Contact"),
    "contracts": ("服务合同", "Contracts"),
    "contract_no": ("合同编号", "Contract no."),
    "provider": ("服务机构", "Provider"),
    "signed_on": ("签订日期", "Signed on"),
    "service_period": ("服务期", "Service period"),
    "amount": ("合同金额", "Amount"),
    "service": ("服务内容", "Service"),
    "voucher_share": ("分摊训力券", "Voucher share"),
    "excluded": ("不计入（{rules}）", "left out ({rules})"),
    "filed_unavailable": (
        "暂时无法从受理服务读取申请原件。",
        "The filed application could not be read from intake.",
    ),
    "voucher": ("训力券额度及计算", "Voucher and how it was computed"),
    "no_voucher": ("尚未核定训力券额度。", "No voucher has been computed yet."),
    "eligible_spend": ("符合条件的合同金额合计", "Eligible spend"),
    "rate": ("抵扣比例", "Rate"),
    "uncapped": ("按比例计算", "At the rate"),
    "room_left": (
        "本年度剩余额度（已扣除上年度未兑现及本年度已申请）",
        "Room left this year (after prior-year unredeemed and this year's vouchers)",
    ),
    "total": ("核定训力券", "Voucher"),
    "capped": ("因年度额度上限核减。", "Cut back to the yearly room."),
    "findings": ("审查结论", "Findings"),
    "outcome": ("结论", "Outcome"),
    "rule": ("规则", "Rule"),
    "clause": ("指南条款", "Clause"),
    "result": ("结果", "Result"),
    "observed": ("实际", "Observed"),
    "limit": ("标准", "Limit"),
    "reason": ("理由", "Reason"),
    "evidence": ("关联关系证据路径", "Related-party evidence"),
    "effective_pct": ("穿透持股比例", "Effective holding"),
    "edge_holding": ("持股", "holds"),
    "edge_legal_representative": ("法定代表人", "legal rep."),
    "edge_director": ("董事", "director"),
    "edge_supervisor": ("监事", "supervisor"),
    "edge_senior_manager": ("高级管理人员", "senior manager"),
    "edge_employee": ("雇员", "employee"),
    "materials": ("申报材料及审计报告二维码核验", "Materials and the audit-report QR check"),
    "kind": ("类别", "Kind"),
    "details": ("说明", "Details"),
    "signed_stamped": ("法定代表人签字 / 盖章", "Signed by the legal rep. / stamped"),
    "consent": ("训力审计同意书记录", "Audit-consent record"),
    "no_consent": ("暂无记录。", "No record."),
    "received_at": ("收到时间", "Received"),
    "valid": ("有效", "Valid"),
    "timeline": ("办理过程", "Timeline"),
    "at": ("时间", "When"),
    "step": ("事项", "What"),
    "by": ("办理人", "By"),
    "note": ("意见", "Note"),
    "letters": ("函件", "Letters"),
    "no_letters": ("暂无函件。", "No letter yet."),
    "letter_kind": ("类别", "Kind"),
    "delivery": ("送达情况", "Delivery"),
    "sent_at": ("已发出：{at}", "Sent {at}"),
    "not_sent": ("未发出，已尝试 {n} 次", "Not sent; {n} attempts"),
    "next_attempt": ("下次尝试：{at}", "Next attempt {at}"),
    "last_error": ("最近一次错误", "Last error"),
    "send_again": ("立即重新发送", "Send again now"),
    "lt_approval": ("批准通知书", "approval"),
    "lt_rejection": ("不予立项通知书", "rejection"),
    "objections": ("公示异议", "Objections"),
    "no_objections": ("暂无异议。", "No objection."),
    "objection": ("异议", "Objection"),
    "raised_at": ("提出时间", "Raised"),
    "recorded_by": ("代为登记人", "Recorded by"),
    "resolution": ("处理结果", "Resolution"),
    "open": ("待处理", "open"),
    "upheld": ("异议成立", "upheld"),
    "dismissed": ("异议不成立", "dismissed"),
    "actions": ("办理", "Actions"),
    "no_actions": ("当前状态下没有可办理的事项。", "Nothing can be done in the case's current state."),
    "read_only_note": ("您以审计人员身份查阅，不能办理。", "You are reading as an auditor and cannot act."),
    "review": ("人工复核", "Review"),
    "approve_for_notice": ("复核通过，拟公示", "Approve for notice"),
    "approve_hint": (
        "复核通过后先按本年度剩余额度核定并预留训力券，资格审查确认后案件转入待公示。",
        "A pass first reserves the voucher against the yearly room left; the case moves "
        "to awaiting notice once eligibility answers.",
    ),
    "reject": ("复核不通过", "Reject"),
    "reject_rules": ("不予通过所依据的规则", "Rules the rejection rests on"),
    "record_objection": ("代为登记异议", "Record an objection for a caller"),
    "caller_contact": ("异议人联系方式", "Caller's contact"),
    "resolve": ("处理异议", "Resolve the objection"),
    "dismiss_all": ("全部驳回（异议不成立）", "Dismiss every open objection"),
    "decision": ("处理决定", "Decision"),
}

WORDS_ACTIONS: Final[dict[str, tuple[str, str]]] = {
    "confirm_title": ("请确认", "Please confirm"),
    "confirm": ("确认办理", "Confirm"),
    "cancel": ("取消", "Cancel"),
    "confirm_review_pass": ("确认复核通过并转入公示？", "Approve this case for the public notice?"),
    "confirm_review_reject": (
        "确认复核不通过？此决定为最终决定。",
        "Reject this case? The decision is final.",
    ),
    "confirm_open_notice": (
        "确认开启公示批次？以下案件将进入公示。",
        "Open a public-notice batch? These cases enter it.",
    ),
    "confirm_record_objection": ("确认代为登记此异议？", "Record this objection?"),
    "confirm_resolve_upheld": (
        "确认异议成立？该申请将不予立项并撤出公示。",
        "Uphold the objection? The application is rejected and withdrawn.",
    ),
    "confirm_resolve_dismissed": ("确认异议不成立？", "Dismiss the objection?"),
    "confirm_dismiss_all": ("确认驳回该案件的全部待处理异议？", "Dismiss every open objection of this case?"),
    "confirm_send_again": ("确认立即重新发送该函件？", "Send this letter again now?"),
    "confirm_replay": ("确认将该死信重新投递到原主题？", "Replay this dead letter onto its topic?"),
    "done_review_passed": ("复核已通过，案件状态：{status}。", "Review passed; the case is now: {status}."),
    "done_review_reserving": (
        "复核已通过，正在按剩余年度额度预留训力券，稍后转入待公示。",
        "Review passed; the voucher is being reserved, the case moves on shortly.",
    ),
    "done_review_rejected": ("已复核不通过。", "Rejected on review."),
    "done_notice_opened": (
        "公示批次 {notice_id} 已开启，公示期 {starts_on} 至 {ends_on}，共 {n} 件。",
        "Notice batch {notice_id} opened, {starts_on} to {ends_on}, {n} cases.",
    ),
    "see_notice": ("查看公示页面", "See the public notice page"),
    "done_objection_recorded": ("异议已登记（编号 {id}）。", "Objection recorded ({id})."),
    "done_objection_known": (
        "同一异议此前已登记（编号 {id}）。",
        "The same objection was recorded before ({id}).",
    ),
    "done_resolved": ("异议已处理。", "The objection is resolved."),
    "done_sent_again": ("函件将在下一轮立即发送。", "The letter goes out in the sender's next round."),
    "done_replayed": ("已重新投递 {n} 条。", "{n} records replayed."),
    "nothing_to_notice": ("没有待公示的案件。", "No case awaits a public notice."),
    "dlq_intro": (
        "无法处理的消息暂存于各主题的死信队列；重新投递后按事件编号去重处理。",
        "Records that could not be processed wait on each topic's dead-letter topic; "
        "a replay is handled once per event id.",
    ),
    "topic": ("主题", "Topic"),
    "position": ("分区:偏移", "Partition:offset"),
    "key": ("键", "Key"),
    "error": ("错误", "Error"),
    "attempts": ("尝试次数", "Attempts"),
    "replay": ("重新投递", "Replay"),
    "no_dead_letters": ("死信队列为空。", "No dead letter."),
    "dlq_unavailable": ("暂时无法读取死信队列：{error}", "The dead-letter topics could not be read: {error}"),
    "counts": ("各状态案件数及训力券金额", "Cases and vouchers by status"),
    "cases": ("案件数", "Cases"),
    "voucher_sum": ("训力券合计", "Vouchers"),
    "money": ("{year}年度训力券", "Vouchers in {year}"),
    "reserved": ("已预留（待公示、公示中、异议处理中）", "Reserved (awaiting notice, in notice, objection)"),
    "granted": ("已批准发放", "Granted"),
    "near_limit": (
        "接近60个工作日办理时限的案件（已超过{n}个工作日）",
        "Cases close to the 60-working-day limit (past {n} working days)",
    ),
    "none": ("无。", "None."),
    "refdata": ("参考数据版本（最近审查所依据）", "Reference-data versions (used by the latest verdicts)"),
    "refdata_kind": ("类别", "Kind"),
    "version": ("版本", "Version"),
    "dashboards": ("监控仪表盘（Grafana）", "Dashboards (Grafana)"),
}

ALL: Final = {**WORDS, **WORDS_CASE, **WORDS_ACTIONS}


def language(value: str | None) -> str:
    return value if value in LANGS else "zh"


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **values)`: the words for `key` in `lang`, the values filled in; an unknown key
    is shown as itself (a missing word is visible, never an error page)."""
    index = LANGS.index(language(lang))

    def t(key: str, **values: object) -> str:
        words = ALL.get(key)
        text = words[index] if words else key
        return text.format(**values) if values else text

    return t
