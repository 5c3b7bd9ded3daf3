"""The catalogue of decision reasons: stable codes, the rule each comes from, three languages.

A code never changes meaning once shipped: stored decisions and back-tests refer to it. Texts
take parameters (``{entry}``, ``{point}``); a parameter is a plain string or a text per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from hetao.engine.facts import Outcome
from hetao.reasons import LANGUAGES, Template, register

Param = str | Mapping[str, str]


class TextSource(Protocol):
    """Renders a reason's texts from its parameters: a catalogue ``Template`` or a row's text."""

    def render(self, params: Mapping[str, Any], /) -> dict[str, str]: ...


def _json_param(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Mapping):
        return {str(language): str(text) for language, text in value.items()}
    return str(value)


_NOT_RENDERED: dict[str, str] = {}
"""Stands in for a deferred reason's texts until they are rendered; never handed out."""


class Reason:
    """Why the decision is what it is: a stable code, the rule it comes from, readable text.

    ``text`` is rendered on first access, not when the decision is made: most decisions are
    acted on by code and their texts read later, when stored or shown, if at all.
    """

    __slots__ = ("_params", "_pending", "_text", "code", "outcome", "rule", "subject")

    code: str
    """Stable, e.g. "whitelist.suspended", "R13.bonded_hand_carry"."""
    rule: str
    """"R13", "whitelist", "selection" or a risk rule id "risk:<table>:<row>"."""
    outcome: Outcome
    subject: str
    """Which part of the subject: "driver", "passenger[2]", "line[3]", ... ("" the whole)."""

    def __init__(
        self,
        code: str,
        rule: str,
        outcome: Outcome,
        text: dict[str, str],
        subject: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.rule = rule
        self.outcome = outcome
        self.subject = subject
        self._text = text
        self._pending: tuple[TextSource, Mapping[str, Any]] | None = None
        self._params: Mapping[str, Any] = params or {}

    @classmethod
    def deferred(
        cls,
        code: str,
        rule: str,
        outcome: Outcome,
        subject: str,
        source: TextSource,
        params: Mapping[str, Any],
    ) -> Reason:
        """A reason whose texts ``source.render(params)`` gives when first asked for.

        ``params`` is kept, not copied: the caller must not change it afterwards.
        """
        self = cls.__new__(cls)
        self.code = code
        self.rule = rule
        self.outcome = outcome
        self.subject = subject
        self._text = _NOT_RENDERED
        self._pending = (source, params)
        # A risk row's context holds every column; the reason keeps those its texts name.
        fields: tuple[str, ...] | None = getattr(source, "fields", None)
        self._params = params if fields is None else {name: params[name] for name in fields}
        return self

    @property
    def text(self) -> dict[str, str]:
        """Keys "en", "zh-Hant", "zh-Hans"."""
        if self._pending is not None:
            source, params = self._pending
            self._text = source.render(params)
            self._pending = None
        return self._text

    @property
    def params(self) -> dict[str, Any]:
        """The values the texts were rendered with, as JSON: a text per language stays a dict,
        a number or an amount becomes its text, an absent value null."""
        return {name: _json_param(value) for name, value in self._params.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return (
            self.code == other.code
            and self.rule == other.rule
            and self.outcome == other.outcome
            and self.subject == other.subject
            and self.text == other.text
        )

    __hash__ = None  # type: ignore[assignment]  # equal by texts, which are a dict

    def __repr__(self) -> str:
        return (
            f"Reason(code={self.code!r}, rule={self.rule!r}, outcome={self.outcome!r},"
            f" text={self.text!r}, subject={self.subject!r})"
        )


#: The crossing's reason codes, registered with the shared catalogue (``hetao.reasons``).
CATALOGUE: dict[str, Template] = {
    # --- whitelist gating ---------------------------------------------------------------
    "whitelist.not_listed": Template(
        "whitelist",
        "Not on the whitelist; {point} admits whitelisted subjects only",
        "不在白名單內;{point}僅准白名單對象通行",
        "不在白名单内;{point}仅准白名单对象通行",
    ),
    "whitelist.document_ambiguous": Template(
        "whitelist",
        "This document number is registered to people of more than one country;"
        " check which country issued the document",
        "此證件號碼登記於多於一個國家或地區的人士名下,須核對證件的簽發國家或地區",
        "此证件号码登记于多于一个国家或地区的人员名下,须核对证件的签发国家或地区",
    ),
    "whitelist.party_not_listed": Template(
        "whitelist",
        "The party is not on the whitelist, so its goods are checked",
        "該單位不在白名單內,其貨物須予查驗",
        "该单位不在白名单内,其货物须予查验",
    ),
    "whitelist.suspended": Template(
        "whitelist",
        "Whitelist entry {entry} is suspended",
        "白名單登記 {entry} 已被暫停",
        "白名单登记 {entry} 已被暂停",
    ),
    "whitelist.revoked": Template(
        "whitelist",
        "Whitelist entry {entry} has been revoked",
        "白名單登記 {entry} 已被撤銷",
        "白名单登记 {entry} 已被撤销",
    ),
    "whitelist.expired": Template(
        "whitelist",
        "Whitelist entry {entry} is no longer valid (valid until {date})",
        "白名單登記 {entry} 已失效(有效期至 {date})",
        "白名单登记 {entry} 已失效(有效期至 {date})",
    ),
    "whitelist.not_yet_valid": Template(
        "whitelist",
        "Whitelist entry {entry} is valid only from {date}",
        "白名單登記 {entry} 自 {date} 起方才生效",
        "白名单登记 {entry} 自 {date} 起方才生效",
    ),
    "whitelist.not_in_force": Template(
        "whitelist",
        "Whitelist entry {entry} is not in force (status: {status})",
        "白名單登記 {entry} 未在生效狀態(狀態:{status})",
        "白名单登记 {entry} 未在生效状态(状态:{status})",
    ),
    "whitelist.flow_out_of_scope": Template(
        "whitelist",
        "Whitelist entry {entry} does not cover {flow}",
        "白名單登記 {entry} 的範圍不包括{flow}",
        "白名单登记 {entry} 的范围不包括{flow}",
    ),
    "whitelist.line_out_of_scope": Template(
        "whitelist",
        "Whitelist entry {entry} does not cover crossings of the {line}",
        "白名單登記 {entry} 的範圍不包括經{line}通行",
        "白名单登记 {entry} 的范围不包括经{line}通行",
    ),
    "whitelist.locked_out": Template(
        "R6",
        "The party gave up the exemption for goods of kind {kind}; it may not claim it again "
        "while the lockout lasts (R6)",
        "該單位已自願放棄{kind}類貨物的免稅待遇,鎖定期內不得再次享受(R6)",
        "该单位已自愿放弃{kind}类货物的免税待遇,锁定期内不得再次享受(R6)",
    ),
    "party.not_active": Template(
        "party",
        "The party is {status}, not active",
        "該單位的狀態為{status},並非正常經營",
        "该单位的状态为{status},并非正常经营",
    ),
    # --- zone credentials ---------------------------------------------------------------
    "credential.revoked": Template(
        "credential",
        "Zone credential {credential} has been revoked",
        "園區通行憑證 {credential} 已被撤銷",
        "园区通行凭证 {credential} 已被撤销",
    ),
    "credential.expired": Template(
        "credential",
        "Zone credential {credential} has expired",
        "園區通行憑證 {credential} 已過期",
        "园区通行凭证 {credential} 已过期",
    ),
    "credential.invalid_signature": Template(
        "credential",
        "Zone credential {credential} carries an invalid signature",
        "園區通行憑證 {credential} 的簽名無效",
        "园区通行凭证 {credential} 的签名无效",
    ),
    "credential.unknown_key": Template(
        "credential",
        "Zone credential {credential} was signed with an unknown key",
        "園區通行憑證 {credential} 由不明密鑰簽署",
        "园区通行凭证 {credential} 由不明密钥签署",
    ),
    "credential.not_valid": Template(
        "credential",
        "Zone credential {credential} is not valid ({status})",
        "園區通行憑證 {credential} 無效({status})",
        "园区通行凭证 {credential} 无效({status})",
    ),
    # --- faces at the gate (issue 20): a failed match sends the traveller to an officer -----
    "face.matched": Template(
        "face",
        "Face matched the enrolled template (score {score}, threshold {threshold}, {source})",
        "人臉與登記模板相符(分數 {score},門檻 {threshold},{source})",
        "人脸与登记模板相符(分数 {score},阈值 {threshold},{source})",
    ),
    "face.below_threshold": Template(
        "face",
        "Face match score {score} is below the threshold {threshold} at {point}; an officer"
        " checks the traveller",
        "人臉比對分數 {score} 低於{point}的門檻 {threshold},由關員核查",
        "人脸比对分数 {score} 低于{point}的阈值 {threshold},由关员核查",
    ),
    "face.no_liveness": Template(
        "face",
        "The gate's liveness check did not pass; an officer checks the traveller",
        "閘機的活體檢測未通過,由關員核查",
        "闸机的活体检测未通过,由关员核查",
    ),
    "face.not_enrolled": Template(
        "face",
        "No face enrolment with consent in force; an officer checks the traveller",
        "沒有在同意有效期內的人臉登記,由關員核查",
        "没有在同意有效期内的人脸登记,由关员核查",
    ),
    "face.not_compared": Template(
        "face",
        "The face could not be compared ({problem}); an officer checks the traveller",
        "未能比對人臉({problem}),由關員核查",
        "未能比对人脸({problem}),由关员核查",
    ),
    "face.not_verified_here": Template(
        "face",
        "This zone does not verify faces; an officer checks the traveller",
        "本區域不進行人臉核驗,由關員核查",
        "本区域不进行人脸核验,由关员核查",
    ),
    # --- the profile: points, flows, directions, lines --------------------------------------
    "point.unknown": Template(
        "profile",
        "Crossing point {point} is not in the zone profile",
        "本區域配置中沒有口岸或通道 {point}",
        "本区域配置中没有口岸或通道 {point}",
    ),
    "point.line_mismatch": Template(
        "profile",
        "{point} is on the {point_line}, not the {line}",
        "{point}屬於{point_line},並非{line}",
        "{point}属于{point_line},并非{line}",
    ),
    "point.flow_not_allowed": Template(
        "profile",
        "{point} does not clear {flow}",
        "{point}不辦理{flow}通關",
        "{point}不办理{flow}通关",
    ),
    "point.direction_not_allowed": Template(
        "profile",
        "{point} is not open for {direction} crossings",
        "{point}不開放{direction}通行",
        "{point}不开放{direction}通行",
    ),
    "point.not_open": Template(
        "profile",
        "{point} opens on {date}",
        "{point}將於 {date} 啟用",
        "{point}将于 {date} 启用",
    ),
    "second_line.people_not_controlled": Template(
        "second_line",
        "The second line controls goods, not people: persons pass without a check",
        "二線管貨不管人:人員通行無須查驗",
        "二线管货不管人:人员通行无须查验",
    ),
    # --- regime rules -----------------------------------------------------------------------
    "R13.bonded_hand_carry": Template(
        "R13",
        "Bonded goods may not be hand-carried through {point} (R13)",
        "保稅貨物不得經{point}隨身攜帶(R13)",
        "保税货物不得经{point}随身携带(R13)",
    ),
    "R13.hand_carry_not_allowed": Template(
        "R13",
        "Goods may not be hand-carried through {point}",
        "{point}不准隨身攜帶貨物通關",
        "{point}不准随身携带货物通关",
    ),
    "R13.carrier_not_designated": Template(
        "R13",
        "The carrier is not designated to hand-carry research goods through {point} (R13)",
        "攜帶人並非獲指定經{point}隨身攜帶科研物資的人員(R13)",
        "携带人并非获指定经{point}随身携带科研物资的人员(R13)",
    ),
    "R13.exemption_missing": Template(
        "R13",
        "The party's whitelist entry does not grant hand-carrying through Channel No. 1 (R13)",
        "該單位的白名單登記不包括經一號通道隨身攜帶的便利(R13)",
        "该单位的白名单登记不包括经一号通道随身携带的便利(R13)",
    ),
    "R11.approval_missing": Template(
        "R11",
        "The special article on line {line_no} has no quarantine approval (R11)",
        "第 {line_no} 項特殊物品未有檢疫審批(R11)",
        "第 {line_no} 项特殊物品未有检疫审批(R11)",
    ),
    # R12: legally inspected goods entering through the first line, by the crossing's risk lane.
    "R12.catalogued": Template(
        "R12",
        "Line {line_no} ({hs_code}) is on the legal-inspection catalogue: row {listing} (R12)",
        "第 {line_no} 項({hs_code})列入法定檢驗目錄:條目 {listing}(R12)",
        "第 {line_no} 项({hs_code})列入法定检验目录:条目 {listing}(R12)",
    ),
    "R12.document_check": Template(
        "R12",
        "Legally inspected goods on line {line_no}: released on a document check ({lane}, R12)",
        "第 {line_no} 項法定檢驗貨物:{lane},憑單證審核放行(R12)",
        "第 {line_no} 项法定检验货物:{lane},凭单证审核放行(R12)",
    ),
    "R12.sampling": Template(
        "R12",
        "Legally inspected goods on line {line_no}: inspected by sampling ({lane}, R12)",
        "第 {line_no} 項法定檢驗貨物:{lane},抽樣檢驗(R12)",
        "第 {line_no} 项法定检验货物:{lane},抽样检验(R12)",
    ),
    "R12.full_inspection": Template(
        "R12",
        "Legally inspected goods on line {line_no}: inspected in full ({lane}, R12)",
        "第 {line_no} 項法定檢驗貨物:{lane},全數檢驗(R12)",
        "第 {line_no} 项法定检验货物:{lane},全数检验(R12)",
    ),
    "R41.approval_missing": Template(
        "R41",
        "The human genetic resource material on line {line_no} has no approval (R41)",
        "第 {line_no} 項人類遺傳資源材料未獲批准(R41)",
        "第 {line_no} 项人类遗传资源材料未获批准(R41)",
    ),
    # The approvals register's verdict on the approval of a line, on the day (R11, R41).
    **{
        f"{rule}.approval_{state}": Template(
            rule,
            f"Line {{line_no}}: approval {{approval}} {en} ({rule})",
            f"第 {{line_no}} 項:批准 {{approval}}{hant}({rule})",
            f"第 {{line_no}} 项:批准 {{approval}}{hans}({rule})",
        )
        for rule in ("R11", "R41")
        for state, (en, hant, hans) in {
            "unknown": ("is not in the approvals register", "不在批准登記冊中", "不在批准登记册中"),
            "not_yet_valid": ("is not yet valid", "尚未生效", "尚未生效"),
            "expired": ("has expired", "已過期", "已过期"),
            "other_party": ("was issued to another party", "屬於其他單位", "属于其他单位"),
            "out_of_scope": ("does not cover these goods", "不涵蓋該貨物", "不涵盖该货物"),
            "used_up": ("is used up", "已用完", "已用完"),
        }.items()
    },
    "R15.permit_invalid": Template(
        "R15",
        "Vehicle {plate} has no valid permit for {point} (R15)",
        "車輛 {plate} 未持有{point}的有效通行許可(R15)",
        "车辆 {plate} 未持有{point}的有效通行许可(R15)",
    ),
    "declaration.missing": Template(
        "declaration",
        "The goods come without a declaration",
        "貨物未有申報",
        "货物未有申报",
    ),
    "declaration.not_cleared": Template(
        "declaration",
        "Declaration {declaration} is {status}, not cleared: the goods may not cross under it",
        "申報 {declaration} 的狀態為{status},尚未放行,貨物不得憑此通關",
        "申报 {declaration} 的状态为{status},尚未放行,货物不得凭此通关",
    ),
    "declaration.kind_mismatch": Template(
        "declaration",
        "Declaration {declaration} is a {kind}, for {expected}, not for {crossing}",
        "申報 {declaration} 為{kind},適用於{expected},並非{crossing}",
        "申报 {declaration} 为{kind},适用于{expected},并非{crossing}",
    ),
    "declaration.point_mismatch": Template(
        "declaration",
        "Declaration {declaration} names {declared_point} as its crossing point, not {point}",
        "申報 {declaration} 申報的通關地點為{declared_point},並非{point}",
        "申报 {declaration} 申报的通关地点为{declared_point},并非{point}",
    ),
    "declaration.party_mismatch": Template(
        "declaration",
        "Declaration {declaration} is lodged by party {party}; the person presenting the goods"
        " is not affiliated with it",
        "申報 {declaration} 由單位 {party} 提交;提交貨物的人員並非該單位所屬",
        "申报 {declaration} 由单位 {party} 提交;提交货物的人员并非该单位所属",
    ),
    "declaration.used_up": Template(
        "declaration",
        "Declaration {declaration} line {line_no}: {presented} presented, but {crossed} of the"
        " {declared} declared have crossed already",
        "申報 {declaration} 第 {line_no} 項:提交 {presented},"
        "但申報的 {declared} 中已有 {crossed} 通關",
        "申报 {declaration} 第 {line_no} 项:提交 {presented},"
        "但申报的 {declared} 中已有 {crossed} 通关",
    ),
    # --- selection ------------------------------------------------------------------------
    "selection.random": Template(
        "selection",
        "Selected at random for inspection in the {lane} (rate {rate})",
        "於{lane}按 {rate} 的比率隨機抽中查驗",
        "于{lane}按 {rate} 的比率随机抽中查验",
    ),
    "selection.cap_reached": Template(
        "selection",
        "Random selection skipped: {point} reached its cap of {cap} inspections this period",
        "本時段{point}的查驗已達上限 {cap} 宗,略過隨機抽查",
        "本时段{point}的查验已达上限 {cap} 宗,略过随机抽查",
    ),
    # --- instruments on loan across the first line (issue 20) --------------------------------
    "loan.unknown": Template(
        "loans",
        "Loan {loan} is not recorded: the instrument may not cross on it",
        "借用記錄 {loan} 不存在:儀器不得憑此通關",
        "借用记录 {loan} 不存在:仪器不得凭此通关",
    ),
    "loan.first_line_only": Template(
        "loans",
        "Instruments on loan cross the first line only; loan {loan} does not cover {point}",
        "借用儀器只經一線通關;借用記錄 {loan} 不適用於{point}",
        "借用仪器只经一线通关;借用记录 {loan} 不适用于{point}",
    ),
    "loan.not_open": Template(
        "loans",
        "Loan {loan} is {status}: the instrument has already crossed on it",
        "借用記錄 {loan} {status}:儀器已憑此通關",
        "借用记录 {loan} {status}:仪器已凭此通关",
    ),
    "loan.past_due": Template(
        "loans",
        "Loan {loan} was due back on {due_on}: the instrument may no longer leave on it",
        "借用記錄 {loan} 已於 {due_on} 到期:儀器不得再憑此出發",
        "借用记录 {loan} 已于 {due_on} 到期:仪器不得再凭此出发",
    ),
    "loan.not_away": Template(
        "loans",
        "Loan {loan} is {status}: the instrument is not away on it, so it cannot come back on it",
        "借用記錄 {loan} {status}:儀器並未憑此借出,不得憑此復運",
        "借用记录 {loan} {status}:仪器并未凭此借出,不得凭此复运",
    ),
    "loan.returned_late": Template(
        "loans",
        "The instrument of loan {loan} is back after its due date {due_on}: an officer checks it",
        "借用記錄 {loan} 的儀器逾期({due_on})復運:由關員查核",
        "借用记录 {loan} 的仪器逾期({due_on})复运:由关员查核",
    ),
    "loan.serial_mismatch": Template(
        "loans",
        "Serial {presented} is not the instrument of loan {loan} ({serial}): an officer checks it",
        "序號 {presented} 與借用記錄 {loan} 的儀器({serial})不符:由關員查核",
        "序号 {presented} 与借用记录 {loan} 的仪器({serial})不符:由关员查核",
    ),
    "decision.clear": Template(
        "decision",
        "No rule calls for a check: released",
        "沒有規則要求查驗,予以放行",
        "没有规则要求查验,予以放行",
    ),
}

register("crossing", CATALOGUE)
#: Every crossing template names its rule.
_RULES: dict[str, str] = {code: template.rule or "" for code, template in CATALOGUE.items()}

FLOW_NAMES: dict[str, dict[str, str]] = {
    "people": {"en": "people", "zh-Hant": "人員", "zh-Hans": "人员"},
    "goods": {"en": "goods", "zh-Hant": "貨物", "zh-Hans": "货物"},
    "vehicles": {"en": "vehicles", "zh-Hant": "車輛", "zh-Hans": "车辆"},
}
LINE_NAMES: dict[str, dict[str, str]] = {
    "first": {"en": "first line", "zh-Hant": "一線", "zh-Hans": "一线"},
    "second": {"en": "second line", "zh-Hant": "二線", "zh-Hans": "二线"},
}
DIRECTION_NAMES: dict[str, dict[str, str]] = {
    "inbound": {"en": "inbound", "zh-Hant": "入區", "zh-Hans": "入区"},
    "outbound": {"en": "outbound", "zh-Hant": "出區", "zh-Hans": "出区"},
}

DECLARATION_KIND_NAMES: dict[str, dict[str, str]] = {
    "first_line_entry": {
        "en": "first-line entry",
        "zh-Hant": "一線進境申報",
        "zh-Hans": "一线进境申报",
    },
    "first_line_exit": {
        "en": "first-line exit",
        "zh-Hant": "一線出境申報",
        "zh-Hans": "一线出境申报",
    },
    "second_line_exit": {
        "en": "second-line exit",
        "zh-Hant": "二線出區申報",
        "zh-Hans": "二线出区申报",
    },
    "second_line_entry": {
        "en": "second-line entry",
        "zh-Hant": "二線入區申報",
        "zh-Hans": "二线入区申报",
    },
    "in_zone_transfer": {
        "en": "in-zone transfer",
        "zh-Hant": "區內流轉申報",
        "zh-Hans": "区内流转申报",
    },
    "research_consumption": {
        "en": "research consumption",
        "zh-Hant": "科研耗用申報",
        "zh-Hans": "科研耗用申报",
    },
    "transformation": {
        "en": "transformation into an R&D product",
        "zh-Hant": "研發成品轉化申報",
        "zh-Hans": "研发成品转化申报",
    },
    "destruction": {"en": "destruction", "zh-Hant": "銷毀申報", "zh-Hans": "销毁申报"},
    "stocktake_adjustment": {
        "en": "stocktake adjustment",
        "zh-Hant": "盤點調整申報",
        "zh-Hans": "盘点调整申报",
    },
}
DECLARATION_STATUS_NAMES: dict[str, dict[str, str]] = {
    "submitted": {"en": "lodged", "zh-Hant": "已提交", "zh-Hans": "已提交"},
    "accepted": {
        "en": "accepted, waiting for clearance",
        "zh-Hant": "已受理待放行",
        "zh-Hans": "已受理待放行",
    },
    "refused": {"en": "refused", "zh-Hant": "已被拒絕", "zh-Hans": "已被拒绝"},
}
LOAN_STATUS_NAMES: dict[str, dict[str, str]] = {
    "recorded": {"en": "recorded", "zh-Hant": "已登記", "zh-Hans": "已登记"},
    "away": {"en": "away", "zh-Hant": "借出中", "zh-Hans": "借出中"},
    "overdue": {"en": "overdue", "zh-Hant": "已逾期", "zh-Hans": "已逾期"},
    "taxable": {"en": "taxable", "zh-Hant": "須補稅", "zh-Hans": "须补税"},
    "returned": {"en": "returned", "zh-Hant": "已歸還", "zh-Hans": "已归还"},
    "cancelled": {"en": "cancelled", "zh-Hant": "已取消", "zh-Hans": "已取消"},
}
#: What a declaration of a kind that crosses no line is for.
INSIDE_THE_ZONE: dict[str, str] = {
    "en": "movements inside the zone, which cross no line",
    "zh-Hant": "區內流轉,不經一線或二線通關",
    "zh-Hans": "区内流转,不经一线或二线通关",
}


def crossings_of(line: str, direction: str) -> dict[str, str]:
    """ "inbound crossings of the first line", per language."""
    lines, directions = LINE_NAMES.get(line, {}), DIRECTION_NAMES.get(direction, {})
    return {
        "en": f"{directions.get('en', direction)} crossings of the {lines.get('en', line)}",
        "zh-Hant": f"經{lines.get('zh-Hant', line)}{directions.get('zh-Hant', direction)}",
        "zh-Hans": f"经{lines.get('zh-Hans', line)}{directions.get('zh-Hans', direction)}",
    }


def named(table: Mapping[str, Mapping[str, str]], value: str) -> Param:
    """The localized name of a vocabulary value, or the value itself when unknown."""
    return table.get(value, value)


_FIXED: dict[tuple[str, Outcome, str], Reason] = {}


def reason(code: str, outcome: Outcome, subject: str = "", **params: Param) -> Reason:
    """A catalogue reason; its texts are rendered when first read."""
    if not params:
        # Reasons without parameters are constants: one each, shared (the decision hot path).
        key = (code, outcome, subject)
        fixed = _FIXED.get(key)
        if fixed is None:
            template = CATALOGUE[code]
            fixed = _FIXED[key] = Reason(code, _RULES[code], outcome, template.render({}), subject)
        return fixed
    return Reason.deferred(code, _RULES[code], outcome, subject, CATALOGUE[code], params)


__all__ = [
    "CATALOGUE",
    "DECLARATION_KIND_NAMES",
    "DECLARATION_STATUS_NAMES",
    "DIRECTION_NAMES",
    "FLOW_NAMES",
    "INSIDE_THE_ZONE",
    "LANGUAGES",
    "LINE_NAMES",
    "LOAN_STATUS_NAMES",
    "Reason",
    "Template",
    "TextSource",
    "crossings_of",
    "named",
    "reason",
]
