"""Which route a cross-border data transfer needs (R33-R37): a pure function, no database.

Order (docs/decisions/0005-data-transfer-routing.md): R33 first, then the R35 exemptions, then
R34. A count category (personal information, sensitive personal information) weighs only when
this application carries it, and then with the exporter's year-to-date count added (R33 "since
1 January"). Thresholds come from the profile's ``[data]`` section and are inclusive (以上).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hetao.profiles import DataSection
from hetao.reasons import Reason, Template, register


class Route(StrEnum):
    """What an exporter must do before the data may leave (R33-R37)."""

    EXEMPT = "exempt"
    """Nothing to file or apply for (R34 under the thresholds, or an R35 ground)."""
    STANDARD_CONTRACT = "standard_contract"
    """Sign the CAC standard contract and file it (R34)."""
    GBA_STANDARD_CONTRACT = "gba_standard_contract"
    """The Greater Bay Area standard contract, mainland GBA city to Hong Kong (R37)."""
    CERTIFICATION = "certification"
    """Personal information protection certification (R34)."""
    SECURITY_ASSESSMENT = "security_assessment"
    """A CAC security assessment (R33)."""


#: Heavier routes come later; the three R34 routes weigh the same.
ROUTE_WEIGHT = {
    Route.EXEMPT: 0,
    Route.STANDARD_CONTRACT: 1,
    Route.GBA_STANDARD_CONTRACT: 1,
    Route.CERTIFICATION: 1,
    Route.SECURITY_ASSESSMENT: 2,
}


class Purpose(StrEnum):
    """Why the data leaves; some purposes carry an R35 exemption."""

    ACADEMIC_COOPERATION = "academic_cooperation"
    """Academic cooperation (R35: exempt without personal information or important data)."""
    CONTRACT = "contract"
    """Concluding or performing a contract with the individual (R35)."""
    HR = "hr"
    """Cross-border human resources management of the exporter's own staff (R35)."""
    RESEARCH = "research"
    """Research other than a cooperation (no R35 ground of its own)."""
    TRADE = "trade"
    """International trade (R35: exempt without personal information or important data)."""
    TRANSPORT = "transport"
    """Cross-border transport (R35: as trade)."""
    MANUFACTURING = "manufacturing"
    """Manufacturing (R35: as trade)."""
    EMERGENCY = "emergency"
    """Protecting life, health or property in an emergency (R35)."""
    OTHER = "other"
    """Anything else."""


class Ground(StrEnum):
    """Why an exempt transfer is exempt."""

    NO_PERSONAL_INFORMATION = "no_personal_information"
    """R35: trade, transport, academic cooperation or manufacturing data without PI."""
    CONTRACT_PERFORMANCE = "contract_performance"
    """R35: needed to conclude or perform a contract with the individual."""
    HUMAN_RESOURCES = "human_resources"
    """R35: cross-border HR management under lawful rules."""
    EMERGENCY = "emergency"
    """R35: protecting life, health or property in an emergency."""
    BELOW_THRESHOLDS = "below_thresholds"
    """R34: under 100,000 people's PI since 1 January and no sensitive PI."""


#: R35 grounds that hold whatever the volume (CAC Provisions 2024 art. 5 (1)-(3)); their persons
#: are also left out of the exporter's year-to-date count (art. 5, last paragraph).
UNCOUNTED_GROUNDS = frozenset(
    {Ground.CONTRACT_PERFORMANCE, Ground.HUMAN_RESOURCES, Ground.EMERGENCY}
)
_PURPOSE_GROUND = {
    Purpose.CONTRACT: Ground.CONTRACT_PERFORMANCE,
    Purpose.HR: Ground.HUMAN_RESOURCES,
    Purpose.EMERGENCY: Ground.EMERGENCY,
}
_NON_PERSONAL_PURPOSES = frozenset(
    {Purpose.ACADEMIC_COOPERATION, Purpose.TRADE, Purpose.TRANSPORT, Purpose.MANUFACTURING}
)

#: Region codes of the recipient and the profile's ``gba_cities`` slug each stands for.
RECIPIENT_GBA_SLUG = {"HK": "hong_kong", "MO": "macao"}
#: Exporter region meaning "elsewhere in the mainland".
MAINLAND = "CN"
#: Mainland cities an exporter may name, besides "CN": Guangdong's 21 prefecture-level cities
#: and the other provincial capitals and municipalities. A constant until the profile lists them.
MAINLAND_CITIES = frozenset(
    {
        # Guangdong
        "guangzhou", "shenzhen", "zhuhai", "shantou", "foshan", "shaoguan", "zhanjiang",
        "zhaoqing", "jiangmen", "maoming", "huizhou", "meizhou", "shanwei", "heyuan",
        "yangjiang", "qingyuan", "dongguan", "zhongshan", "chaozhou", "jieyang", "yunfu",
        # municipalities and provincial capitals
        "beijing", "shanghai", "tianjin", "chongqing", "shijiazhuang", "taiyuan", "hohhot",
        "shenyang", "changchun", "harbin", "nanjing", "hangzhou", "hefei", "fuzhou",
        "nanchang", "jinan", "zhengzhou", "wuhan", "changsha", "nanning", "haikou", "chengdu",
        "guiyang", "kunming", "lhasa", "xian", "lanzhou", "xining", "yinchuan", "urumqi",
    }
)  # fmt: skip


def city_slug(name: str) -> str:
    """``Shenzhen`` -> ``shenzhen``, ``Xi'an`` -> ``xian``, ``Hong Kong`` -> ``hong_kong``."""
    return "_".join(name.strip().lower().replace("'", "").replace("-", " ").split())


def known_exporter_region(region: str) -> bool:
    """Whether ``region`` is ``CN`` or a mainland city this module knows."""
    return region == MAINLAND or city_slug(region) in MAINLAND_CITIES


@dataclass(frozen=True, slots=True)
class TransferFacts:
    """What the routing needs to know; counts are persons, not records."""

    cii_operator: bool
    important_data: bool
    #: Persons whose (non-sensitive) personal information this application sends.
    personal_info_subjects: int
    #: Persons whose sensitive personal information this application sends.
    sensitive_personal_info_subjects: int
    #: Already sent by the exporter since 1 January of this year (the zone's calendar).
    ytd_personal_info_subjects: int
    ytd_sensitive_personal_info_subjects: int
    exporter_region: str
    recipient_region: str
    purpose: Purpose

    @property
    def carries_personal_information(self) -> bool:
        return self.personal_info_subjects > 0 or self.sensitive_personal_info_subjects > 0

    @property
    def cumulative_personal_info_subjects(self) -> int:
        return self.personal_info_subjects + self.ytd_personal_info_subjects

    @property
    def cumulative_sensitive_personal_info_subjects(self) -> int:
        return self.sensitive_personal_info_subjects + self.ytd_sensitive_personal_info_subjects


@dataclass(frozen=True, slots=True)
class Routing:
    """The route, the other routes that also satisfy the rules, the rule and why."""

    route: Route
    alternatives: tuple[Route, ...]
    rule: str
    ground: Ground | None
    reasons: tuple[Reason, ...]
    cumulative_personal_info_subjects: int
    cumulative_sensitive_personal_info_subjects: int
    gba_eligible: bool


#: The routing's reason codes; ``{n}`` and ``{limit}`` are counts of persons.
CATALOGUE = register(
    "datatransfer.route",
    {
        "R33.cii_operator": Template(
            "R33",
            "a critical information infrastructure operator exports personal information"
            " or important data",
            "關鍵信息基礎設施運營者向境外提供個人信息或重要數據",
            "关键信息基础设施运营者向境外提供个人信息或重要数据",
        ),
        "R33.important_data": Template(
            "R33",
            "the data includes important data",
            "數據包含重要數據",
            "数据包含重要数据",
        ),
        "R33.personal_info_volume": Template(
            "R33",
            "{n} people's personal information since 1 January reaches {limit}",
            "自1月1日起累計{n}人個人信息，達到{limit}人",
            "自1月1日起累计{n}人个人信息，达到{limit}人",
        ),
        "R33.sensitive_volume": Template(
            "R33",
            "{n} people's sensitive personal information since 1 January reaches {limit}",
            "自1月1日起累計{n}人敏感個人信息，達到{limit}人",
            "自1月1日起累计{n}人敏感个人信息，达到{limit}人",
        ),
        "R35.no_personal_information": Template(
            "R35",
            "data of {purpose} with no personal information and no important data",
            "{purpose}數據不含個人信息和重要數據",
            "{purpose}数据不含个人信息和重要数据",
        ),
        "R35.contract_performance": Template(
            "R35",
            "needed to conclude or perform a contract with the individual",
            "為訂立、履行個人作為一方當事人的合同所必需",
            "为订立、履行个人作为一方当事人的合同所必需",
        ),
        "R35.human_resources": Template(
            "R35",
            "cross-border human resources management under lawful rules",
            "依法實施跨境人力資源管理",
            "依法实施跨境人力资源管理",
        ),
        "R35.emergency": Template(
            "R35",
            "an emergency: protecting people's life, health or property",
            "緊急情況下保護自然人的生命健康和財產安全",
            "紧急情况下保护自然人的生命健康和财产安全",
        ),
        "R34.personal_info_volume": Template(
            "R34",
            "{n} people's personal information since 1 January reaches {limit}",
            "自1月1日起累計{n}人個人信息，達到{limit}人",
            "自1月1日起累计{n}人个人信息，达到{limit}人",
        ),
        "R34.sensitive_volume": Template(
            "R34",
            "{n} people's sensitive personal information since 1 January reaches {limit}",
            "自1月1日起累計{n}人敏感個人信息，達到{limit}人",
            "自1月1日起累计{n}人敏感个人信息，达到{limit}人",
        ),
        "R34.below_thresholds": Template(
            "R34",
            "{n} people's personal information since 1 January is below {limit},"
            " with no sensitive personal information",
            "自1月1日起累計{n}人個人信息，不滿{limit}人，且無敏感個人信息",
            "自1月1日起累计{n}人个人信息，不满{limit}人，且无敏感个人信息",
        ),
        "R37.gba_eligible": Template(
            "R37",
            "exporter in a mainland Greater Bay Area city and recipient in Hong Kong:"
            " the GBA standard contract may be used",
            "境內處理者位於大灣區內地城市且接收方在香港：可採用大灣區標準合同",
            "境内处理者位于大湾区内地城市且接收方在香港：可采用大湾区标准合同",
        ),
        "R37.macao_not_covered": Template(
            "R37",
            "the GBA standard contract does not cover recipients in Macao",
            "大灣區標準合同不適用於澳門接收方",
            "大湾区标准合同不适用于澳门接收方",
        ),
    },
)
_reason = CATALOGUE.reason


def gba_eligible(facts: TransferFacts, data: DataSection) -> bool:
    """R37: a mainland GBA city exporter, a recipient the profile's GBA list covers, no IDs."""
    cities = set(data.gba_cities)
    exporter = city_slug(facts.exporter_region)
    recipient = RECIPIENT_GBA_SLUG.get(facts.recipient_region)
    exporter_in_mainland_gba = exporter in cities and exporter not in RECIPIENT_GBA_SLUG.values()
    return (
        exporter_in_mainland_gba
        and recipient is not None
        and recipient in cities
        and not facts.important_data
    )


def route(facts: TransferFacts, data: DataSection) -> Routing:
    """The route per R33-R37 (R33, then R35, then R34), with its alternatives and reasons."""
    pi = facts.cumulative_personal_info_subjects if facts.personal_info_subjects else 0
    sensitive = (
        facts.cumulative_sensitive_personal_info_subjects
        if facts.sensitive_personal_info_subjects
        else 0
    )
    eligible = gba_eligible(facts, data)

    def decided(
        chosen: Route,
        rule: str,
        reasons: list[Reason],
        *,
        ground: Ground | None = None,
        alternatives: tuple[Route, ...] = (),
    ) -> Routing:
        return Routing(
            route=chosen,
            alternatives=alternatives,
            rule=rule,
            ground=ground,
            reasons=tuple(reasons),
            cumulative_personal_info_subjects=facts.cumulative_personal_info_subjects,
            cumulative_sensitive_personal_info_subjects=(
                facts.cumulative_sensitive_personal_info_subjects
            ),
            gba_eligible=eligible,
        )

    # R33: a security assessment, which no exemption lifts.
    r33: list[Reason] = []
    if facts.cii_operator and (facts.carries_personal_information or facts.important_data):
        r33.append(_reason("R33.cii_operator"))
    if facts.important_data:
        r33.append(_reason("R33.important_data"))
    if pi >= data.security_assessment_pi_min:
        r33.append(_reason("R33.personal_info_volume", n=pi, limit=data.security_assessment_pi_min))
    if sensitive >= data.security_assessment_sensitive_pi_min:
        r33.append(
            _reason(
                "R33.sensitive_volume", n=sensitive, limit=data.security_assessment_sensitive_pi_min
            )
        )
    if r33:
        return decided(Route.SECURITY_ASSESSMENT, "R33", r33)

    # R35: exemptions by purpose (important data never reaches here).
    if not facts.carries_personal_information and facts.purpose in _NON_PERSONAL_PURPOSES:
        reason = _reason("R35.no_personal_information", purpose=facts.purpose.value)
        return decided(Route.EXEMPT, "R35", [reason], ground=Ground.NO_PERSONAL_INFORMATION)
    if (ground := _PURPOSE_GROUND.get(facts.purpose)) is not None:
        return decided(Route.EXEMPT, "R35", [_reason(f"R35.{ground.value}")], ground=ground)

    # R34: a standard contract or certification, or exempt under the thresholds.
    r34: list[Reason] = []
    if pi >= data.standard_contract_pi_min:
        r34.append(_reason("R34.personal_info_volume", n=pi, limit=data.standard_contract_pi_min))
    if sensitive >= data.standard_contract_sensitive_pi_min:
        r34.append(
            _reason(
                "R34.sensitive_volume", n=sensitive, limit=data.standard_contract_sensitive_pi_min
            )
        )
    if not r34:
        reason = _reason("R34.below_thresholds", n=pi, limit=data.standard_contract_pi_min)
        return decided(Route.EXEMPT, "R34", [reason], ground=Ground.BELOW_THRESHOLDS)
    if eligible:
        r34.append(_reason("R37.gba_eligible"))
        return decided(
            Route.GBA_STANDARD_CONTRACT,
            "R37",
            r34,
            alternatives=(Route.STANDARD_CONTRACT, Route.CERTIFICATION),
        )
    if facts.recipient_region == "MO" and city_slug(facts.exporter_region) in data.gba_cities:
        r34.append(_reason("R37.macao_not_covered"))
    return decided(Route.STANDARD_CONTRACT, "R34", r34, alternatives=(Route.CERTIFICATION,))
