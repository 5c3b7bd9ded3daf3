"""The demo zone: fictitious institutions, researchers and vehicles, built through the registry.

Everything goes through the registry services, so the demo obeys the same rules and leaves the
same audit trail as real data. The content follows REGIME R15 (1,500 whitelisted researchers,
11 institutions with Channel No. 1 cars) and is a pure function of the seed and the date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.profiles import CrossingKind, CrossingPoint, Direction, Flow, Line, ZoneProfile
from hetao.registry import repository as repo
from hetao.registry import service
from hetao.registry.identifiers import (
    DocumentKind,
    hkid_check_digit,
    mrz_check_digit,
    resident_id_check_digit,
    uscc_check_character,
)
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    ApprovalKind,
    CreditLevel,
    Party,
    PartyKind,
    PartyStatus,
    Person,
    PlateRegion,
    Residency,
    SubjectKind,
    Vehicle,
    VehicleKind,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import (
    AffiliationIn,
    ApplicationCreate,
    ApprovalCreate,
    DocumentIn,
    PartyCreate,
    PermitIn,
    PersonCreate,
    Resubmission,
    StandingChange,
    StandingCreate,
    VehicleCreate,
    WaiverCreate,
)
from hetao.timeutil import add_months, zone_today

#: The demo's one password, printed in the README: a demo zone is not for real data.
DEMO_PASSWORD = "hetao-demo-2026"  # noqa: S105 (published on purpose)


class DemoSummary(BaseModel):
    """What one demo load created, with the seed and reference date it used."""

    seed: int
    as_of: dt.date
    zone: str
    parties_by_kind: dict[str, int]
    persons: int
    vehicles_by_kind: dict[str, int]
    applications_by_status: dict[str, int]
    entries_by_status: dict[str, int]
    entries_by_subject: dict[str, int]
    waivers: int
    users: list[str] = Field(
        default_factory=list, description=f"Demo sign-ins, all with password {DEMO_PASSWORD!r}"
    )


def is_empty(session: Session) -> bool:
    """Whether the registry holds no party yet."""
    return not repo.has_parties(session)


def load(
    session: Session,
    *,
    profile: ZoneProfile,
    seed: int,
    as_of: dt.date | None,
    actor: Actor,
) -> DemoSummary:
    """Create the demo zone in ``session`` (the caller commits) and say what was created."""
    day = as_of or zone_today(profile.zone.timezone)
    rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not a secret)
    builder = _Builder(session, profile=profile, rng=rng, today=day, actor=actor)
    builder.build()
    summary = builder.summary(seed)
    enterprise = next(p for p in builder.parties if p.kind is PartyKind.CSA_ENTERPRISE)
    summary.users = demo_users(session, enterprise_party_id=enterprise.id, actor=actor)
    demo_crossings(session, profile=profile, seed=seed, as_of=day, actor=actor)
    demo_centralised_period(session, profile=profile, as_of=day, actor=actor)
    return summary


#: Goods that crossed under the demo's open centralised period (R10): HS code, what, how many.
DEMO_CENTRALISED_GOODS = (
    ("3822.19", "Diagnostic reagent kit", "12", "kit", "14400.00", "reagents"),
    ("9027.50", "Fluorescence microplate reader", "1", "unit", "86000.00", "instruments"),
    ("3002.90", "Cell culture media (non-biological)", "40", "l", "9200.00", "consumables"),
)


def demo_centralised_period(
    session: Session, *, profile: ZoneProfile, as_of: dt.date, actor: Actor
) -> int | None:
    """One open centralised period (R10) of the first eligible party, from the first of the
    month, with a few goods crossed under it; None where no party is eligible (Hengqin)."""
    from hetao.declarations import centralised
    from hetao.declarations.schemas import CentralisedLineIn, CentralisedPeriodCreate

    starts_on = max(as_of.replace(day=1), profile.effective_from)
    points = [
        p.code
        for p in profile.crossing_points
        if p.line is Line.FIRST and Flow.GOODS in p.flows and Direction.INBOUND in p.directions
    ]
    parties = repo.parties_in_order(session)
    eligible = next(
        (p for p in parties if centralised.eligibility(session, p, on=starts_on) == "active"),
        None,
    )
    if eligible is None or not points:
        return None
    period = centralised.open_period(
        session,
        eligible,
        CentralisedPeriodCreate(
            party_id=eligible.id, crossing_point=points[0], starts_on=starts_on
        ),
        profile=profile,
        actor=actor,
    )
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    for hs_code, what, quantity, unit, value, kind in DEMO_CENTRALISED_GOODS:
        if kind not in kinds:
            continue
        line = CentralisedLineIn.model_validate(
            {
                "crossed_on": starts_on,
                "hs_code": hs_code,
                "description": what,
                "quantity": quantity,
                "unit": unit,
                "customs_value": value,
                "currency": "HKD",
                "origin": "HK",
                "goods_kind": kind,
                "research_own_use": True,
            }
        )
        centralised.record_line(session, period, line, profile=profile, actor=actor)
    return period.id


#: Recorded crossings of the demo: enough for back-testing and the console, still fast to load.
DEMO_CROSSINGS = 200


def demo_crossings(
    session: Session, *, profile: ZoneProfile, seed: int, as_of: dt.date, actor: Actor
) -> int:
    """A fortnight of people crossing the zone's points, decided and recorded as gates would."""
    from hetao.crossing import service as crossing
    from hetao.crossing.schemas import CrossingIn

    rng = random.Random(seed + 5)  # noqa: S311 (reproducible demo data, not a secret)
    documents = repo.documents_in_order(session)
    points = [p.code for p in profile.crossing_points if Flow.PEOPLE in p.flows]
    if not documents or not points:
        return 0
    device = crossing.Device("demo:gates", "demo-gates")
    # A demo-only selection secret (the server's own is in its data directory).
    key = hashlib.sha256(f"hetao demo selection {seed}".encode()).digest()
    end = dt.datetime.combine(as_of, dt.time(18), tzinfo=ZoneInfo(profile.zone.timezone))
    instants = sorted(
        end.astimezone(dt.UTC) - dt.timedelta(seconds=rng.randrange(14 * 86400))
        for _ in range(DEMO_CROSSINGS)
    )
    for n, at in enumerate(instants):
        if rng.random() < 0.85:
            doc = rng.choice(documents)
            document = {"kind": doc.kind.value, "number": doc.number}
        else:  # a traveller the registry does not know
            document = {"kind": "passport", "number": f"X{rng.randrange(10**7):07d}"}
        payload = CrossingIn.model_validate(
            {
                "event_id": f"demo-{seed}-{n:04d}",
                "crossing_point": rng.choice(points),
                "direction": rng.choice(("inbound", "outbound")),
                "occurred_at": at.isoformat(),
                "subject": {"type": "person", "document": document},
            }
        )
        received = at + dt.timedelta(milliseconds=rng.randrange(40, 900))
        crossing.record_crossing(
            session, payload, device=device, profile=profile, seed_key=key, actor=actor,
            now=received,
        )  # fmt: skip
    return DEMO_CROSSINGS


def demo_users(session: Session, *, enterprise_party_id: int, actor: Actor) -> list[str]:
    """One sign-in per role that people hold, named after the role."""
    names = []
    for role in Role:
        if role is Role.GATE_DEVICE:
            continue  # devices get tokens, never passwords
        username = f"demo-{role.value.replace('_', '-')}"
        auth.create_user(
            session,
            username=username,
            display_name=f"Demo {role.value.replace('_', ' ')}",
            password=DEMO_PASSWORD,
            role=role,
            party_id=enterprise_party_id if role is Role.ENTERPRISE_USER else None,
            actor=actor,
        )
        names.append(username)
    return names


# --- the zone's shape ----------------------------------------------------------------------

#: Individual whitelist cases: how many researchers end in each state (R15: about 1,500 active).
INDIVIDUAL_CASES: tuple[tuple[str, int], ...] = (
    ("active", 1496),
    ("reinstated", 4),
    ("suspended", 12),
    ("revoked", 8),
    ("expired", 10),
    ("draft", 10),
    ("submitted", 24),
    ("information_requested", 8),
    ("resubmitted", 6),
    ("declined", 9),
)

#: Parties by kind: about 40, most of them beneficiaries (R2) and Hong Kong partners.
PARTY_COUNTS: tuple[tuple[PartyKind, int], ...] = (
    (PartyKind.CSA_ENTERPRISE, 16),
    (PartyKind.CSA_PUBLIC_INSTITUTION, 7),
    (PartyKind.ST_PRIVATE_NON_ENTERPRISE, 5),
    (PartyKind.HK_INSTITUTION, 8),
    (PartyKind.BROKER, 2),
    (PartyKind.CARRIER, 2),
)

#: Institutions whose cars hold Channel No. 1 permit cards (R15: the first 11).
CHANNEL1_CAR_OWNERS = 11
SHUTTLE_BUSES = 4
WHITELISTED_INDUSTRIES = 6

# --- vocabularies (all names are invented; none is a real company or university) -----------

# (industry code, English, simplified Chinese, traditional Chinese)
_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("materials_science", "Quantum Materials", "量子材料", "量子材料"),
    ("materials_science", "Semiconductor Materials", "半导体材料", "半導體材料"),
    ("materials_science", "Flexible Electronics", "柔性电子", "柔性電子"),
    ("materials_science", "Battery Materials", "电池材料", "電池材料"),
    ("next_gen_it", "Advanced Photonics", "先进光子", "先進光子"),
    ("next_gen_it", "Integrated Circuit Design", "集成电路设计", "集成電路設計"),
    ("next_gen_it", "6G Communications", "6G通信", "6G通信"),
    ("next_gen_it", "Optoelectronics", "光电", "光電"),
    ("biomedicine", "Gene Therapy", "基因治疗", "基因治療"),
    ("biomedicine", "Drug Discovery", "新药研发", "新藥研發"),
    ("biomedicine", "Vaccine Research", "疫苗研究", "疫苗研究"),
    ("biotechnology", "Cell Therapy", "细胞治疗", "細胞治療"),
    ("biotechnology", "Synthetic Biology", "合成生物", "合成生物"),
    ("biotechnology", "Genomics", "基因组学", "基因組學"),
    ("biotechnology", "Protein Engineering", "蛋白质工程", "蛋白質工程"),
    ("life_sciences", "Brain-Computer Interface", "脑机接口", "腦機接口"),
    ("life_sciences", "Molecular Imaging", "分子影像", "分子影像"),
    ("life_sciences", "Microfluidics", "微流控", "微流控"),
    ("ai", "Machine Learning", "机器学习", "機器學習"),
    ("ai", "Intelligent Computing", "智能计算", "智能計算"),
    ("ai", "Embodied Intelligence", "具身智能", "具身智能"),
    ("data_science", "Data Intelligence", "数据智能", "數據智能"),
    ("data_science", "Privacy Computing", "隐私计算", "私隱計算"),
    ("digital_economy", "Distributed Ledger", "分布式账本", "分佈式賬本"),
    ("digital_economy", "Digital Trade", "数字贸易", "數字貿易"),
    ("smart_city", "Digital Twin", "数字孪生", "數字孿生"),
    ("smart_city", "Urban Sensing", "城市感知", "城市感知"),
    ("fintech", "Quantitative Finance", "量化金融", "量化金融"),
    ("fintech", "Payment Security", "支付安全", "支付安全"),
    ("advanced_manufacturing", "Medical Robotics", "医疗机器人", "醫療機械人"),
    ("advanced_manufacturing", "Precision Instruments", "精密仪器", "精密儀器"),
)

# Neighbourhoods of Futian district and of the northern New Territories, for names that read local.
_SZ_PLACES = (
    ("Futian", "福田"),
    ("Huanggang", "皇岗"),
    ("Fubao", "福保"),
    ("Shatou", "沙头"),
    ("Lianhua", "莲花"),
    ("Xiangmi", "香蜜"),
    ("Meilin", "梅林"),
    ("Huafu", "华富"),
    ("Yitian", "益田"),
    ("Shazui", "沙嘴"),
    ("Xinzhou", "新洲"),
    ("Shangsha", "上沙"),
    ("Jingtian", "景田"),
    ("Shixia", "石厦"),
    ("Yuanling", "园岭"),
)
_HK_PLACES = (
    ("Sha Tin", "沙田"),
    ("Tai Po", "大埔"),
    ("Tseung Kwan O", "將軍澳"),
    ("Pak Shek Kok", "白石角"),
    ("Kwun Tong", "觀塘"),
    ("Sheung Shui", "上水"),
    ("Fanling", "粉嶺"),
    ("Yuen Long", "元朗"),
    ("Tsing Yi", "青衣"),
    ("Lok Ma Chau", "落馬洲"),
)
_HK_UNIVERSITIES = (
    ("Tolo Harbour University", "吐露港大學"),
    ("Kowloon Bay University of Science and Technology", "九龍灣科技大學"),
    ("Lantau Island University", "大嶼山大學"),
    ("Tai Mo Shan University", "大帽山大學"),
)
# Name patterns per kind, English then Chinese; {p} is a place, {f} a research field.
_PATTERNS: dict[PartyKind, tuple[tuple[str, str], ...]] = {
    PartyKind.CSA_ENTERPRISE: (
        ("{p} {f} Technology Co., Ltd.", "深圳市{p}{f}科技有限公司"),
        ("{p} {f} Laboratory Co., Ltd.", "{p}{f}实验室有限公司"),
        ("Shenzhen {p} {f} Co., Ltd.", "深圳{p}{f}有限公司"),
    ),
    PartyKind.CSA_PUBLIC_INSTITUTION: (
        ("{p} Institute of {f}", "深圳市{p}{f}研究院"),
        ("{p} {f} Innovation Centre", "深圳{p}{f}创新中心"),
        ("{p} Laboratory for {f}", "{p}{f}实验室"),
    ),
    PartyKind.ST_PRIVATE_NON_ENTERPRISE: (
        ("{p} {f} Research Centre", "深圳市{p}{f}研究中心"),
        ("{p} {f} Research Institute", "深圳市{p}{f}研究所"),
    ),
    PartyKind.HK_INSTITUTION: (
        ("{p} {f} Laboratory Limited", "{p}{f}實驗室有限公司"),
        ("{p} Institute for {f} Limited", "{p}{f}研究所有限公司"),
        ("{p} {f} Research Centre Limited", "{p}{f}研究中心有限公司"),
    ),
    PartyKind.BROKER: (
        ("Shenzhen {p} Customs Brokerage Co., Ltd.", "深圳市{p}报关有限公司"),
        ("{p} Customs Declaration Services Co., Ltd.", "深圳市{p}报关服务有限公司"),
    ),
}
_PASSENGER_CARRIER = (
    "Shenzhen {p} Cross-Boundary Passenger Transport Co., Ltd.",
    "深圳市{p}跨境客运有限公司",
)
_GOODS_CARRIER = ("{p} Supply Chain Logistics Co., Ltd.", "深圳市{p}供应链物流有限公司")

_BIO_FIELDS = frozenset({"biomedicine", "biotechnology", "life_sciences"})
_DATA_FIELDS = frozenset({"ai", "data_science", "digital_economy", "fintech", "smart_city"})

# GB/T 2260 county-level division codes: researchers come to the zone from all over the country.
_DIVISIONS = (
    "440304", "440305", "440306", "440106", "440111", "441302", "110101", "110108",
    "310104", "310110", "320106", "330106", "340104", "350203", "360102", "370102",
    "420111", "430104", "450103", "500106", "510107", "610113", "120104", "210202",
    "230103", "410105", "220104", "130102", "140105", "530102",
)  # fmt: skip

_MAINLAND_FAMILY = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("罗", "Luo"), ("高", "Gao"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("邓", "Deng"), ("冯", "Feng"), ("韩", "Han"), ("曹", "Cao"), ("彭", "Peng"),
    ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"), ("袁", "Yuan"),
    ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"), ("杜", "Du"), ("叶", "Ye"), ("程", "Cheng"),
    ("魏", "Wei"), ("苏", "Su"), ("丁", "Ding"), ("任", "Ren"), ("姚", "Yao"), ("沈", "Shen"),
    ("钟", "Zhong"), ("崔", "Cui"), ("谭", "Tan"), ("范", "Fan"), ("廖", "Liao"), ("石", "Shi"),
    ("金", "Jin"), ("夏", "Xia"), ("方", "Fang"), ("邹", "Zou"), ("熊", "Xiong"), ("白", "Bai"),
    ("孟", "Meng"), ("秦", "Qin"), ("邱", "Qiu"), ("侯", "Hou"), ("江", "Jiang"), ("薛", "Xue"),
    ("雷", "Lei"), ("龙", "Long"), ("黎", "Li"), ("陶", "Tao"), ("贺", "He"), ("顾", "Gu"),
)  # fmt: skip
_MAINLAND_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("华", "hua"), ("建", "jian"), ("文", "wen"),
    ("辉", "hui"), ("鑫", "xin"), ("宇", "yu"), ("浩", "hao"), ("晨", "chen"), ("欣", "xin"),
    ("怡", "yi"), ("佳", "jia"), ("子", "zi"), ("涵", "han"), ("睿", "rui"), ("博", "bo"),
    ("轩", "xuan"), ("思", "si"), ("嘉", "jia"), ("俊", "jun"), ("振", "zhen"), ("海", "hai"),
    ("志", "zhi"), ("毅", "yi"), ("琳", "lin"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"),
    ("晓", "xiao"), ("天", "tian"), ("泽", "ze"), ("瑞", "rui"), ("昊", "hao"), ("凯", "kai"),
    ("鹏", "peng"), ("峰", "feng"), ("颖", "ying"), ("倩", "qian"), ("航", "hang"), ("远", "yuan"),
    ("哲", "zhe"), ("彬", "bin"), ("诗", "shi"), ("卓", "zhuo"), ("翔", "xiang"), ("琪", "qi"),
    ("安", "an"), ("恩", "en"), ("欧", "ou"), ("蓉", "rong"), ("薇", "wei"), ("楠", "nan"),
)  # fmt: skip
# Hong Kong names: traditional characters with the Cantonese romanisation on HKIDs.
_HK_FAMILY = (
    ("陳", "Chan"), ("李", "Lee"), ("張", "Cheung"), ("黃", "Wong"), ("何", "Ho"), ("林", "Lam"),
    ("梁", "Leung"), ("劉", "Lau"), ("吳", "Ng"), ("鄭", "Cheng"), ("麥", "Mak"), ("郭", "Kwok"),
    ("馮", "Fung"), ("曾", "Tsang"), ("羅", "Law"), ("蔡", "Choi"), ("鄧", "Tang"), ("葉", "Yip"),
    ("蕭", "Siu"), ("袁", "Yuen"), ("許", "Hui"), ("朱", "Chu"), ("盧", "Lo"), ("譚", "Tam"),
    ("潘", "Poon"), ("莫", "Mok"), ("施", "Sze"), ("文", "Man"), ("周", "Chow"), ("余", "Yu"),
)  # fmt: skip
_HK_GIVEN = (
    ("嘉", "Ka"), ("偉", "Wai"), ("志", "Chi"), ("俊", "Chun"), ("詠", "Wing"), ("欣", "Yan"),
    ("浩", "Ho"), ("明", "Ming"), ("文", "Man"), ("子", "Tsz"), ("思", "Sze"), ("樂", "Lok"),
    ("朗", "Long"), ("美", "Mei"), ("健", "Kin"), ("雅", "Nga"), ("婷", "Ting"), ("卓", "Cheuk"),
    ("宇", "Yu"), ("晴", "Ching"), ("麗", "Lai"), ("耀", "Yiu"), ("輝", "Fai"), ("德", "Tak"),
    ("詩", "Sze"), ("曉", "Hiu"), ("家", "Ka"), ("慧", "Wai"), ("凱", "Hoi"), ("敏", "Man"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Country:
    """A nationality of foreign researchers, with its MRZ code and passport number shape."""

    alpha2: str
    #: ICAO 9303 code of the issuing state (Germany is "D", padded with "<").
    mrz: str
    #: ``#`` a digit, ``@`` a letter, ``*`` either; other characters stand for themselves.
    passport: str
    family: tuple[str, ...]
    #: Given names alternate male, female, so a name fits the sex printed in the MRZ.
    given: tuple[str, ...]


_COUNTRIES = (
    _Country(
        "GB", "GBR", "#########",
        ("Hughes", "Whitaker", "Fletcher", "Morgan", "Clarke", "Patel"),
        ("Oliver", "Amelia", "James", "Charlotte", "Thomas", "Eleanor"),
    ),
    _Country(
        "US", "USA", "@########",
        ("Carter", "Nguyen", "Brooks", "Ramirez", "Sullivan", "Price"),
        ("Ethan", "Olivia", "Noah", "Madison", "Caleb", "Grace"),
    ),
    _Country(
        "DE", "D<<", "C********",
        ("Becker", "Hoffmann", "Wagner", "Richter", "Krause", "Vogel"),
        ("Lukas", "Anna", "Felix", "Lena", "Jonas", "Hannah"),
    ),
    _Country(
        "FR", "FRA", "##@@#####",
        ("Moreau", "Laurent", "Lefebvre", "Girard", "Bonnet", "Roux"),
        ("Louis", "Camille", "Hugo", "Chloe", "Julien", "Manon"),
    ),
    _Country(
        "JP", "JPN", "@@#######",
        ("Sato", "Takahashi", "Watanabe", "Yamamoto", "Kobayashi"),
        ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina"),
    ),
    _Country(
        "KR", "KOR", "M########",
        ("Kim", "Park", "Choi", "Jung", "Kang", "Yoon"),
        ("Minjun", "Seoyeon", "Jiho", "Hayoon", "Dohyun", "Jiwoo"),
    ),
    _Country(
        "SG", "SGP", "E#######@",
        ("Tan", "Lim", "Goh", "Teo", "Ong", "Koh"),
        ("Jun Jie", "Wei Ling", "Zhi Hao", "Hui Min", "Wei Jie", "Xin Yi"),
    ),
    _Country(
        "AU", "AUS", "@@#######",
        ("Walsh", "Mitchell", "Kelly", "Harrison", "Bennett"),
        ("Jack", "Chloe", "Liam", "Isla", "Cooper", "Ruby"),
    ),
    _Country(
        "CA", "CAN", "@@######",
        ("Tremblay", "Gagnon", "Roy", "MacDonald", "Campbell"),
        ("Liam", "Emma", "Owen", "Ava", "Logan", "Zoe"),
    ),
    _Country(
        "IT", "ITA", "@@#######",
        ("Rossi", "Ferrari", "Esposito", "Bianchi", "Romano"),
        ("Luca", "Giulia", "Marco", "Sofia", "Matteo", "Chiara"),
    ),
    _Country(
        "IN", "IND", "@#######",
        ("Sharma", "Iyer", "Gupta", "Rao", "Nair", "Menon"),
        ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya"),
    ),
    _Country(
        "NL", "NLD", "@@*******",
        ("de Vries", "Jansen", "Bakker", "Visser", "Smit"),
        ("Daan", "Sanne", "Bram", "Femke", "Thijs", "Lotte"),
    ),
)  # fmt: skip

_ROLES = (
    ("Principal investigator", 1),
    ("Research scientist", 4),
    ("Postdoctoral fellow", 3),
    ("Research engineer", 4),
    ("Research assistant", 3),
    ("PhD student", 2),
    ("Laboratory manager", 1),
    ("Visiting scholar", 1),
)

_INFO_REQUESTS = (
    "Please attach the employment contract signed with the sponsor.",
    "Please name the research project and the goods to be hand-carried through Channel No. 1.",
    "The travel document on file expires within a month; please upload the renewed one.",
)
_ANSWERS = (
    "Employment contract attached; the project reference is in the justification.",
    "Project and goods list added: reagents and sample tubes for the joint study.",
    "Renewed document uploaded.",
)
_DECLINES = (
    "The sponsor could not confirm a research role in the customs-supervised area.",
    "The role described is administrative; the individual whitelist is for research staff.",
    "The affiliation with the sponsor ended before the review.",
)
_SUSPENSIONS = (
    "Undeclared reagents found in hand luggage at Channel No. 1; suspended pending the result.",
    "The sponsor reported the affiliation under review.",
    "Identity document reported lost; suspended until it is replaced.",
)
_REVOCATIONS = (
    "The sponsor reported that the employment ended.",
    "Repeated failure to declare hand-carried research goods.",
    "The researcher moved to a post outside the zone.",
)

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_HK_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _gb11714_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _mrz_name(text: str) -> str:
    return "".join(c if c.isalpha() else "<" for c in text.upper())


def _mrz(
    *,
    country: _Country,
    surname: str,
    given: str,
    number: str,
    sex: str,
    birth: dt.date,
    expiry: dt.date,
) -> tuple[str, str]:
    """Both lines of an ICAO 9303 TD3 passport MRZ, every check digit computed."""
    name = (_mrz_name(surname) + "<<" + _mrz_name(given))[:39].ljust(39, "<")
    line1 = "P<" + country.mrz + name
    doc = number.ljust(9, "<")
    born, ends, optional = f"{birth:%y%m%d}", f"{expiry:%y%m%d}", "<" * 14
    line2 = (
        doc + mrz_check_digit(doc) + country.mrz + born + mrz_check_digit(born) + sex
        + ends + mrz_check_digit(ends) + optional + mrz_check_digit(optional)
    )  # fmt: skip
    return line1, line2 + mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43])


@dataclass
class _Research:
    """A research party and what the demo decided about its institution application."""

    party: Party
    field: str
    #: active, suspended, declined or submitted: where its institution application ends.
    fate: str
    #: How many researchers it sponsors, relative to the others.
    weight: float


@dataclass
class _Builder:
    """Holds the random stream and everything created, so each step can build on the last."""

    session: Session
    profile: ZoneProfile
    rng: random.Random
    today: dt.date
    actor: Actor
    research: list[_Research] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    applications: list[WhitelistApplication] = field(default_factory=list)
    entries: list[WhitelistEntry] = field(default_factory=list)
    waivers: int = 0
    used: set[str] = field(default_factory=set)

    # --- plumbing --------------------------------------------------------------------------

    def unique(self, make: Callable[[], str]) -> str:
        """A value from ``make`` that no earlier call handed out (numbers and plates are unique)."""
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def fill(self, pattern: str, *, letters: str = string.ascii_uppercase) -> str:
        """``pattern`` with ``#`` a digit, ``@`` one of ``letters``, ``*`` a letter or digit."""
        pools = {"#": string.digits, "@": letters, "*": string.ascii_uppercase + string.digits}
        return "".join(self.rng.choice(pools[c]) if c in pools else c for c in pattern)

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def scopes(
        self, flows: Sequence[str], lines: Sequence[str], exemptions: Sequence[str]
    ) -> tuple[list[str], list[str], list[str]]:
        """Scopes cut down to the profile's vocabulary, so the demo loads under any profile."""
        vocabulary = self.profile.whitelist.scopes
        return (
            [f for f in flows if f in vocabulary.flows] or [str(vocabulary.flows[0])],
            [ln for ln in lines if ln in vocabulary.lines] or [str(vocabulary.lines[0])],
            list(dict.fromkeys(e for e in exemptions if e in vocabulary.exemptions)),
        )

    def apply(
        self,
        kind: SubjectKind,
        scopes: tuple[list[str], list[str], list[str]],
        *,
        justification: str,
        party: Party | None = None,
        person: Person | None = None,
        vehicle: Vehicle | None = None,
        industry: str | None = None,
        window: tuple[dt.date, dt.date] | None = None,
    ) -> WhitelistApplication:
        """Open a draft application through the registry."""
        flows, lines, exemptions = scopes
        data = ApplicationCreate(
            subject_kind=kind,
            party_id=party.id if party else None,
            person_id=person.id if person else None,
            vehicle_id=vehicle.id if vehicle else None,
            industry=industry,
            flows=flows,
            lines=lines,
            exemptions=exemptions,
            valid_from=window[0] if window else None,
            valid_until=window[1] if window else None,
            justification=justification,
        )
        app = service.create_application(self.session, data, profile=self.profile, actor=self.actor)
        self.applications.append(app)
        return app

    def approve(self, app: WhitelistApplication, *, on: dt.date) -> WhitelistEntry:
        """Submit and approve ``app`` as if the reviewer decided on day ``on``."""
        service.submit(self.session, app, actor=self.actor)
        entry = service.approve(self.session, app, profile=self.profile, actor=self.actor, today=on)
        self.entries.append(entry)
        return entry

    def review(self, app: WhitelistApplication, status: str) -> None:
        """Take a draft application on to a pending or declined ``status``."""
        if status == "draft":
            return
        service.submit(self.session, app, actor=self.actor)
        if status in ("information_requested", "resubmitted"):
            note = self.rng.choice(_INFO_REQUESTS)
            service.request_information(self.session, app, note=note, actor=self.actor)
        if status == "resubmitted":
            answer = Resubmission(answer=self.rng.choice(_ANSWERS))
            service.resubmit(self.session, app, answer, profile=self.profile, actor=self.actor)
        if status == "declined":
            service.decline(self.session, app, note=self.rng.choice(_DECLINES), actor=self.actor)

    # --- steps -----------------------------------------------------------------------------

    def build(self) -> None:
        self.create_parties()
        self.whitelist_institutions()
        self.whitelist_industries()
        self.record_waivers()
        self.create_researchers()
        self.create_vehicles()
        # Windows that closed before today end now, as the nightly expiry job would end them.
        service.expire_due(self.session, today=self.today, actor=self.actor)
        self.record_standings()
        self.record_approvals()

    def record_approvals(self) -> None:
        """The approvals register (R11, R41): a quarantine approval of the demo user's party,
        partly drawn already, and an HGR approval of a whitelisted institution."""
        enterprise = next(p for p in self.parties if p.kind is PartyKind.CSA_ENTERPRISE)
        institution = next(
            r.party
            for r in self.research
            if r.fate == "active"
            and r.party.kind is PartyKind.CSA_PUBLIC_INSTITUTION
            and r.party.status is PartyStatus.ACTIVE
        )
        approvals = (
            ApprovalCreate(
                kind=ApprovalKind.SPECIAL_ARTICLE_QUARANTINE,
                number="SZ-QA-2026-0101",
                issuer="Shenzhen Customs, Futian (special articles)",
                party_id=enterprise.id,
                hs_codes=["3002"],
                article_kinds=["samples", "reagents"],
                quantity=Decimal("500"),
                unit="ml",
                valid_from=self.today - dt.timedelta(days=90),
                valid_until=self.today + dt.timedelta(days=275),
                drawn=Decimal("120"),
            ),
            ApprovalCreate(
                kind=ApprovalKind.HUMAN_GENETIC_RESOURCES,
                number="MOST-HGR-2026-0007",
                issuer="Ministry of Science and Technology (HGR administration)",
                party_id=institution.id,
                hs_codes=["3002"],
                article_kinds=["specimens", "samples"],
                quantity=Decimal("200"),
                unit="ml",
                valid_from=self.today - dt.timedelta(days=30),
                valid_until=self.today + dt.timedelta(days=335),
            ),
        )
        for data in approvals:
            service.record_approval(self.session, data, actor=self.actor)

    def record_standings(self) -> None:
        """One whitelisted enterprise bankrupt, one institution deregistered (R8's exception),
        one credit decision (R26); the rest stay active. The first enterprise is the demo
        user's and stays active."""
        whitelisted = [r.party for r in self.research if r.fate == "active"]
        enterprises = [p for p in self.parties if p.kind is PartyKind.CSA_ENTERPRISE]
        bankrupt = next(p for p in reversed(whitelisted) if p.kind is PartyKind.CSA_ENTERPRISE)
        deregistered = next(
            p
            for p in reversed(whitelisted)
            if p.kind in BENEFICIARY_KINDS - {PartyKind.CSA_ENTERPRISE}
        )
        downgraded = next(p for p in enterprises if p.credit_level is CreditLevel.DISHONEST)
        changes = (
            (bankrupt, StandingChange.BANKRUPT, 40, "(2026) Yue 03 Po 117", None),
            (deregistered, StandingChange.DEREGISTERED, 20, "SZ-DEREG-2026-0311", None),
            (
                downgraded,
                StandingChange.CREDIT_LEVEL,
                60,
                "GACC-CREDIT-2026-0042",
                CreditLevel.DISHONEST,
            ),
        )
        for party, change, days_ago, document, level in changes:
            assert party is not enterprises[0]  # noqa: S101 (the demo user's party stays active)
            data = StandingCreate(
                change=change,
                effective_on=self.today - dt.timedelta(days=days_ago),
                document_ref=document,
                credit_level=level,
            )
            service.record_standing(
                self.session, party, data, profile=self.profile, actor=self.actor, today=self.today
            )

    def create_parties(self) -> None:
        """About 40 parties: beneficiaries (R2), Hong Kong partners, brokers and carriers."""
        levels = (CreditLevel.ADVANCED_CERTIFIED, CreditLevel.CERTIFIED, CreditLevel.REGULAR)
        enterprises = dict(PARTY_COUNTS)[PartyKind.CSA_ENTERPRISE]
        # R26 has five levels; one enterprise at each dishonest level shows how the zone reacts.
        dishonest, seriously, newcomer = self.rng.sample(range(enterprises), 3)
        universities = self.rng.sample(_HK_UNIVERSITIES, 2)
        pairs: set[tuple[str, str]] = set()
        for kind, count in PARTY_COUNTS:
            for index in range(count):
                code, fate = "", "active"
                if kind is PartyKind.CARRIER:
                    pattern = (_PASSENGER_CARRIER, _GOODS_CARRIER)[index % 2]
                    data = self.party_data(kind, pattern, place=self.rng.choice(_SZ_PLACES))
                    data.credit_level = self.rng.choice(levels[:2])
                elif kind is PartyKind.BROKER:
                    pattern = _PATTERNS[kind][index % 2]
                    data = self.party_data(kind, pattern, place=self.rng.choice(_SZ_PLACES))
                    data.credit_level = self.rng.choice(levels[:2])
                elif kind is PartyKind.HK_INSTITUTION and index < len(universities):
                    code = self.rng.choice(_FIELDS)[0]
                    data = self.party_data(kind, universities[index], place=("", ""), industry=code)
                else:
                    data, code = self.research_party_data(kind, pairs)
                    if kind in BENEFICIARY_KINDS:
                        data.credit_level = self.rng.choices(levels, weights=(2, 4, 6))[0]
                if kind is PartyKind.CSA_ENTERPRISE and index == dishonest:
                    data.credit_level, fate = CreditLevel.DISHONEST, "suspended"
                elif kind is PartyKind.CSA_ENTERPRISE and index == seriously:
                    data.credit_level, fate = CreditLevel.SERIOUSLY_DISHONEST, "declined"
                elif kind is PartyKind.CSA_ENTERPRISE and index == newcomer:
                    fate = "submitted"
                party = service.create_party(self.session, data, actor=self.actor)
                self.parties.append(party)
                if code:
                    weight = {
                        PartyKind.CSA_PUBLIC_INSTITUTION: 3.0,
                        PartyKind.ST_PRIVATE_NON_ENTERPRISE: 1.5,
                        PartyKind.HK_INSTITUTION: 2.0 if index >= len(universities) else 4.0,
                    }.get(kind, 1.0)
                    self.research.append(_Research(party, code, fate, weight))

    def research_party_data(
        self, kind: PartyKind, pairs: set[tuple[str, str]]
    ) -> tuple[PartyCreate, str]:
        """A beneficiary or Hong Kong lab working in one of the plan's focus fields."""
        places = _HK_PLACES if kind is PartyKind.HK_INSTITUTION else _SZ_PLACES
        while True:
            place, (code, field_en, hans, hant) = self.rng.choice(places), self.rng.choice(_FIELDS)
            if (place[0], field_en) not in pairs:
                pairs.add((place[0], field_en))
                break
        zh_field = hant if kind is PartyKind.HK_INSTITUTION else hans
        pattern = self.rng.choice(_PATTERNS[kind])
        data = self.party_data(
            kind, pattern, place=place, field_name=(field_en, zh_field), industry=code
        )
        return data, code

    def party_data(
        self,
        kind: PartyKind,
        pattern: tuple[str, str],
        *,
        place: tuple[str, str],
        field_name: tuple[str, str] = ("", ""),
        industry: str | None = None,
    ) -> PartyCreate:
        name_en = pattern[0].format(p=place[0], f=field_name[0])
        name_zh = pattern[1].format(p=place[1], f=field_name[1])
        if kind is PartyKind.HK_INSTITUTION:
            hk_br = self.unique(lambda: self.fill(f"{self.rng.randint(1, 7)}#######"))
            return PartyCreate(
                kind=kind, name_en=name_en, name_zh=name_zh, industry=industry, hk_br=hk_br
            )
        return PartyCreate(
            kind=kind,
            name_en=name_en,
            name_zh=name_zh,
            industry=industry,
            uscc=self.unique(lambda: self.uscc(kind)),
            # Carriers work from outside the fenced area; everyone else is registered inside it.
            registered_in_csa=kind is not PartyKind.CARRIER,
        )

    def uscc(self, kind: PartyKind) -> str:
        """A unified social credit code of the registering authority that fits ``kind``."""
        # 12: public institutions (establishment office), 52: private non-enterprise units (civil
        # affairs), 91: enterprises (market regulation); 440304 is Futian district.
        prefix, body = {
            PartyKind.CSA_PUBLIC_INSTITUTION: ("12440304", "########"),
            PartyKind.ST_PRIVATE_NON_ENTERPRISE: ("52440304", "MJ######"),
        }.get(kind, ("91440300", "MA5@@@@@"))
        org = self.fill(body, letters=_USCC_CHARS)
        first17 = prefix + org + _gb11714_check(org)
        return first17 + uscc_check_character(first17)

    def whitelist_institutions(self) -> None:
        """Beneficiaries and Hong Kong partners apply for the institution whitelist (R3)."""
        for research in self.research:
            party = research.party
            beneficiary = party.kind in BENEFICIARY_KINDS
            flows = ["people", "goods"]
            exemptions = (
                ["duty_free_research_goods", "centralised_declaration"] if beneficiary else []
            )
            exemptions.append("hand_carry_channel1")
            if research.field in _BIO_FIELDS:
                exemptions += ["special_articles_priority", "hgr"]
            if research.field in _DATA_FIELDS or self.rng.random() < 0.3:
                flows.append("data")
                exemptions.append("data")
            if beneficiary and self.rng.random() < 0.5:
                flows.append("funds")
            # Hong Kong partners cross the first line only; the second line leads to the mainland.
            lines = ["first", "second"] if beneficiary else ["first"]
            app = self.apply(
                SubjectKind.INSTITUTION,
                self.scopes(flows, lines, exemptions),
                party=party,
                justification=f"{party.name_en}: research in the customs-supervised area.",
            )
            if research.fate == "submitted":
                self.review(app, "submitted")
            elif research.fate == "declined":
                service.submit(self.session, app, actor=self.actor)
                note = "Seriously dishonest enterprise under the customs credit rules (R26)."
                service.decline(self.session, app, note=note, actor=self.actor)
            else:
                entry = self.approve(app, on=self.days_ago(120, 900))
                if research.fate == "suspended":
                    note = "Customs credit level downgraded to dishonest (R26); under review."
                    service.suspend(self.session, entry, note=note, actor=self.actor)

    def whitelist_industries(self) -> None:
        """Focus fields of the plan enter the industry whitelist; one more awaits review."""
        codes = self.rng.sample(sorted({f[0] for f in _FIELDS}), WHITELISTED_INDUSTRIES + 1)
        scopes = self.scopes(
            ["people", "goods"],
            ["first", "second"],
            # Duty-free entry belongs to beneficiary institutions, not to fields (R4).
            ["centralised_declaration"],
        )
        for index, code in enumerate(codes):
            app = self.apply(
                SubjectKind.INDUSTRY,
                scopes,
                industry=code,
                justification="A focus field of the Shenzhen Park development plan.",
            )
            if index < WHITELISTED_INDUSTRIES:
                self.approve(app, on=self.days_ago(200, 1200))
            else:
                self.review(app, "submitted")

    def record_waivers(self) -> None:
        """Two beneficiaries elected to pay import taxes on one kind of goods each (R6)."""
        eligible = [
            r.party
            for r in self.research
            if r.party.kind in BENEFICIARY_KINDS and r.fate == "active"
        ]
        kinds = self.rng.sample(list(self.profile.whitelist.waiver_goods_kinds), 2)
        for party, kind in zip(self.rng.sample(eligible, 2), kinds, strict=True):
            goods = kind.replace("_", " ")
            reason = f"Elected to pay import taxes on {goods} shared with its mainland site."
            service.waive_exemption(
                self.session,
                party,
                WaiverCreate(goods_kind=kind, waived_on=self.days_ago(20, 500), reason=reason),
                profile=self.profile,
                actor=self.actor,
            )
            self.waivers += 1

    # --- researchers -----------------------------------------------------------------------

    def create_researchers(self) -> None:
        """About 1,500 researchers with documents, a sponsor and an individual application."""
        cases = [case for case, count in INDIVIDUAL_CASES for _ in range(count)]
        self.rng.shuffle(cases)
        sponsors = [r for r in self.research if r.fate in ("active", "suspended")]
        people = [self.person(sponsors) for _ in cases]
        # Batches keep the IN lists of the uniqueness checks well under SQLite's variable limit.
        for start in range(0, len(people), 400):
            batch = [data for data, _ in people[start : start + 400]]
            self.persons += service.create_persons(self.session, batch, actor=self.actor)
        for person, (data, sponsor), case in zip(self.persons, people, cases, strict=True):
            self.individual_case(person, sponsor, data.affiliations[0].role, case)

    def person(self, sponsors: Sequence[_Research]) -> tuple[PersonCreate, Party]:
        """A mainland, Hong Kong or foreign researcher and the party that sponsors them."""
        draw = self.rng.random()
        hk = [s for s in sponsors if s.party.kind is PartyKind.HK_INSTITUTION]
        csa = [s for s in sponsors if s.party.kind is not PartyKind.HK_INSTITUTION]
        birth = self.days_ago(23 * 365, 63 * 365)
        sex = self.rng.choice("FM")
        # Hong Kong residents mostly work for Hong Kong partners, mainland residents in the CSA.
        if draw < 0.64:
            data = self.mainland_person(birth, sex)
            pool = csa if self.rng.random() < 0.85 else hk
        elif draw < 0.9:
            data = self.hong_kong_person(birth)
            pool = hk if self.rng.random() < 0.6 else csa
        else:
            data = self.foreign_person(birth, sex)
            pool = list(sponsors)
        sponsor = self.rng.choices(pool, weights=[s.weight for s in pool])[0].party
        role = self.rng.choices([r for r, _ in _ROLES], weights=[w for _, w in _ROLES])[0]
        since = self.days_ago(30, 3000)
        data.affiliations = [AffiliationIn(party_id=sponsor.id, role=role, since=since)]
        return data, sponsor

    def chinese_name(
        self, family: Sequence[tuple[str, str]], given: Sequence[tuple[str, str]], *, hk: bool
    ) -> tuple[str, str, str]:
        """Family name, given name (romanised) and the name in Chinese characters."""
        zh_family, roman_family = self.rng.choice(family)
        parts = self.rng.sample(list(given), 2 if hk or self.rng.random() < 0.75 else 1)
        zh = zh_family + "".join(c for c, _ in parts)
        if hk:
            return roman_family, " ".join(r for _, r in parts), zh
        # Pinyin writes syllables together, with an apostrophe before a, o or e (Xi'an, not Xian).
        roman = parts[0][1] + "".join(("'" if r[0] in "aoe" else "") + r for _, r in parts[1:])
        return roman_family, roman.capitalize(), zh

    def mainland_person(self, birth: dt.date, sex: str) -> PersonCreate:
        family, given, zh = self.chinese_name(_MAINLAND_FAMILY, _MAINLAND_GIVEN, hk=False)

        def number() -> str:
            # The 17th digit is odd for men and even for women (GB 11643-1999).
            parity = self.rng.choice("13579" if sex == "M" else "02468")
            first17 = (
                f"{self.rng.choice(_DIVISIONS)}{birth:%Y%m%d}{self.rng.randrange(100):02d}{parity}"
            )
            return first17 + resident_id_check_digit(first17)

        document = DocumentIn(
            kind=DocumentKind.MAINLAND_RESIDENT_ID,
            number=self.unique(number),
            issuing_country="CN",
            expiry_date=self.today + dt.timedelta(days=self.rng.randint(200, 7000)),
        )
        return PersonCreate(
            family_name=family,
            given_name=given,
            name_zh=zh,
            birth_date=birth,
            residency=Residency.MAINLAND,
            nationality="CN",
            documents=[document],
        )

    def hong_kong_person(self, birth: dt.date) -> PersonCreate:
        family, given, zh = self.chinese_name(_HK_FAMILY, _HK_GIVEN, hk=True)

        def hkid() -> str:
            prefix, digits = self.rng.choice("ACDEGHKPRVYZ"), self.fill("######")
            return f"{prefix}{digits}({hkid_check_digit(prefix, digits)})"

        documents = [
            DocumentIn(
                kind=DocumentKind.HK_IDENTITY_CARD, number=self.unique(hkid), issuing_country="HK"
            ),
            DocumentIn(
                kind=DocumentKind.MAINLAND_TRAVEL_PERMIT_HK_MACAO,
                number=self.unique(lambda: self.fill("H########")),
                issuing_country="CN",
                expiry_date=self.today + dt.timedelta(days=self.rng.randint(100, 3600)),
            ),
        ]
        return PersonCreate(
            family_name=family,
            given_name=given,
            name_zh=zh,
            birth_date=birth,
            residency=Residency.HONG_KONG,
            nationality="CN",
            documents=documents,
        )

    def foreign_person(self, birth: dt.date, sex: str) -> PersonCreate:
        country = self.rng.choice(_COUNTRIES)
        family = self.rng.choice(country.family)
        given = self.rng.choice(country.given[sex == "F" :: 2])
        number = self.unique(lambda: self.fill(country.passport))
        expiry = self.today + dt.timedelta(days=self.rng.randint(120, 3500))
        line1, line2 = _mrz(
            country=country,
            surname=family,
            given=given,
            number=number,
            sex=sex,
            birth=birth,
            expiry=expiry,
        )
        document = DocumentIn(
            kind=DocumentKind.PASSPORT,
            number=number,
            issuing_country=country.alpha2,
            expiry_date=expiry,
            mrz_line1=line1,
            mrz_line2=line2,
        )
        return PersonCreate(
            family_name=family,
            given_name=given,
            birth_date=birth,
            residency=Residency.FOREIGN,
            nationality=country.alpha2,
            documents=[document],
        )

    def individual_case(self, person: Person, sponsor: Party, role: str, case: str) -> None:
        """Take one researcher's application to the state ``case`` names."""
        carries_goods = self.rng.random() < 0.3
        window = None
        if case == "expired":
            # A visiting researcher whose short window closed before today.
            ends = self.days_ago(1, 200)
            window = (ends - dt.timedelta(days=self.rng.randint(90, 360)), ends)
        # Designated persons may hand-carry research goods through Channel No. 1 (R13).
        app = self.apply(
            SubjectKind.INDIVIDUAL,
            self.scopes(
                ["people", "goods"] if carries_goods else ["people"],
                ["first", "second"],
                ["hand_carry_channel1"] if carries_goods else [],
            ),
            person=person,
            party=sponsor,
            window=window,
            justification=f"{role} at {sponsor.name_en}.",
        )
        if window is not None:
            self.approve(app, on=window[0])
        elif case in ("active", "reinstated", "suspended", "revoked"):
            entry = self.approve(app, on=self.days_ago(0, 600))
            if case in ("reinstated", "suspended"):
                note = self.rng.choice(_SUSPENSIONS)
                service.suspend(self.session, entry, note=note, actor=self.actor)
            if case == "reinstated":
                service.reinstate(
                    self.session,
                    entry,
                    profile=self.profile,
                    actor=self.actor,
                    note="Inspection closed with no violation found.",
                    today=self.today,
                )
            if case == "revoked":
                note = self.rng.choice(_REVOCATIONS)
                service.revoke(self.session, entry, note=note, actor=self.actor)
        else:
            self.review(app, case)

    # --- vehicles --------------------------------------------------------------------------

    def crossing_point(self, kind: CrossingKind) -> CrossingPoint | None:
        """The first first-line crossing point of ``kind`` that vehicles use, if any."""
        return next(
            (
                p
                for p in self.profile.crossing_points
                if p.kind is kind and p.line is Line.FIRST and Flow.VEHICLES in p.flows
            ),
            None,
        )

    def cross_boundary_plates(self) -> tuple[str, str]:
        """A Guangdong 粤Z...港 plate and the Hong Kong plate the same vehicle carries."""
        plate = self.unique(lambda: self.fill("粤Z·@###港", letters=_PLATE_LETTERS))
        hk_plate = self.unique(
            lambda: self.fill("@@", letters=_HK_PLATE_LETTERS) + str(self.rng.randint(1, 9999))
        )
        return plate, hk_plate

    def permits(self, point: CrossingPoint | None, prefix: str) -> list[PermitIn]:
        """A one-year permit card at ``point``, issued within the last ten months."""
        if point is None:
            return []
        issued = self.days_ago(0, 300)
        return [
            PermitIn(
                number=self.unique(lambda: self.fill(f"{prefix}-{issued.year}-####")),
                crossing_points=[point.code],
                valid_from=issued,
                valid_until=add_months(issued, 12) - dt.timedelta(days=1),
            )
        ]

    def create_vehicles(self) -> None:
        """Channel No. 1 cars of 11 institutions (R15), shuttle buses and goods vehicles."""
        channel1 = self.crossing_point(CrossingKind.DEDICATED_CHANNEL)
        port = self.crossing_point(CrossingKind.PORT)
        owners = [
            r.party
            for r in self.research
            if r.party.kind in BENEFICIARY_KINDS and r.fate == "active"
        ]
        passenger, goods = (p for p in self.parties if p.kind is PartyKind.CARRIER)
        # (vehicle, status its whitelist application ends in; None: no application)
        wanted: list[tuple[VehicleCreate, str | None]] = []

        def cross_boundary(
            kind: VehicleKind, owner: Party, permits: list[PermitIn]
        ) -> VehicleCreate:
            plate, hk_plate = self.cross_boundary_plates()
            return VehicleCreate(
                plate=plate,
                plate_region=PlateRegion.CROSS_BOUNDARY,
                hk_plate=hk_plate,
                kind=kind,
                owner_party_id=owner.id,
                permits=permits,
            )

        for index, owner in enumerate(self.rng.sample(owners, CHANNEL1_CAR_OWNERS + 1)):
            if index == CHANNEL1_CAR_OWNERS:
                # One more institution has just applied: no permit card yet, its car is pending.
                wanted.append((cross_boundary(VehicleKind.CHANNEL1_CAR, owner, []), "submitted"))
                continue
            for _ in range(self.rng.choice((1, 1, 2))):
                car = cross_boundary(
                    VehicleKind.CHANNEL1_CAR, owner, self.permits(channel1, "FBZ1")
                )
                wanted.append((car, "approved"))
        for _ in range(SHUTTLE_BUSES):
            bus = cross_boundary(VehicleKind.SHUTTLE_BUS, passenger, self.permits(channel1, "FBZ1"))
            wanted.append((bus, "approved"))
        for _ in range(2):
            truck = cross_boundary(VehicleKind.GOODS_VEHICLE, goods, self.permits(port, "HG"))
            wanted.append((truck, None))
        for _ in range(3):
            plate = self.unique(lambda: self.fill("粤B·@####", letters=_PLATE_LETTERS))
            truck = VehicleCreate(
                plate=plate,
                plate_region=PlateRegion.MAINLAND,
                kind=VehicleKind.GOODS_VEHICLE,
                owner_party_id=goods.id,
            )
            wanted.append((truck, None))
        self.vehicles = service.create_vehicles(
            self.session, [data for data, _ in wanted], profile=self.profile, actor=self.actor
        )
        for vehicle, (data, status) in zip(self.vehicles, wanted, strict=True):
            if status is None:
                continue
            is_bus = vehicle.kind is VehicleKind.SHUTTLE_BUS
            app = self.apply(
                SubjectKind.VEHICLE,
                self.scopes(
                    ["people"] if is_bus else ["people", "goods"], ["first"], ["channel1_vehicle"]
                ),
                vehicle=vehicle,
                justification=(
                    "Research shuttle bus through Channel No. 1."
                    if is_bus
                    else "Institution car for research staff through Channel No. 1."
                ),
            )
            if status == "approved":
                # The whitelist entry starts the day the permit card was issued.
                self.approve(app, on=data.permits[0].valid_from if data.permits else self.today)
            else:
                self.review(app, status)

    # --- summary ---------------------------------------------------------------------------

    def summary(self, seed: int) -> DemoSummary:
        def count(values: Iterable[str]) -> dict[str, int]:
            return dict(sorted(Counter(values).items()))

        return DemoSummary(
            seed=seed,
            as_of=self.today,
            zone=self.profile.zone.code,
            parties_by_kind=count(p.kind.value for p in self.parties),
            persons=len(self.persons),
            vehicles_by_kind=count(v.kind.value for v in self.vehicles),
            applications_by_status=count(a.status.value for a in self.applications),
            entries_by_status=count(e.status.value for e in self.entries),
            entries_by_subject=count(e.subject_kind.value for e in self.entries),
            waivers=self.waivers,
        )
