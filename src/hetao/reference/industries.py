"""The zone's focus fields: the industry vocabulary of the whitelist (R1), taken from the seeds."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hetao.errors import ValidationFailed

#: 2023 State Council press conference on the Shenzhen Park plan (docs/regime.md, seed documents).
SEED_2023 = "seeds/000_a0e75951ea9261a9.txt"
#: 2018 Guangdong reply on the HK-Shenzhen Innovation and Technology Park (docs/regime.md).
SEED_2018 = "seeds/004_024dd08c03090f0b.txt"


@dataclass(frozen=True, slots=True)
class Industry:
    """A focus field, its names in three languages and the seed it comes from."""

    code: str
    name_en: str
    name_zh_hant: str
    name_zh_hans: str
    #: Seed file(s) naming the field, comma-separated.
    source: str
    #: The words of the seed, so a reviewer can find the passage.
    evidence: str


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "next_gen_it",
        "Next-generation information technology",
        "新一代信息技術",
        "新一代信息技术",
        SEED_2023,
        "推動新一代信息技術產業突破發展; 圍繞信息、材料、生命科學與技術等重點研發方向",
    ),
    Industry(
        "biomedicine",
        "Biomedicine",
        "生物醫藥",
        "生物医药",
        f"{SEED_2023}, {SEED_2018}",
        "支持先進生物醫藥技術創新應用; 生物醫學工程、生物醫藥領域領跑全國",
    ),
    Industry(
        "biotechnology",
        "Biotechnology",
        "生物科技",
        "生物科技",
        SEED_2018,
        "以生物科技產業打開突破口; 基因測序和生物信息分析、細胞治療",
    ),
    Industry(
        "ai",
        "Artificial intelligence",
        "人工智能",
        "人工智能",
        f"{SEED_2023}, {SEED_2018}",
        "加快布局人工智能與數字經濟發展的前沿領域; 港深創新及科技園聚焦發展的四大重點領域之一",
    ),
    Industry(
        "data_science",
        "Data science",
        "數據科學",
        "数据科学",
        SEED_2023,
        "人工智能與數據科學區 (Hong Kong Park)",
    ),
    Industry(
        "digital_economy",
        "Digital economy",
        "數字經濟",
        "数字经济",
        SEED_2023,
        "聚焦新一代信息技術、生物醫藥、通用人工智能和數字經濟等前沿領域",
    ),
    Industry(
        "materials_science",
        "Materials science and technology",
        "材料科學與技術",
        "材料科学与技术",
        SEED_2023,
        "圍繞信息、材料、生命科學與技術等重點研發方向",
    ),
    Industry(
        "life_sciences",
        "Life sciences and health technology",
        "生命科學與健康科技",
        "生命科学与健康科技",
        SEED_2023,
        "生命科學與技術等重點研發方向; 生命健康科技區 (Hong Kong Park)",
    ),
    Industry(
        "advanced_manufacturing",
        "Advanced manufacturing",
        "先進製造",
        "先进制造",
        SEED_2023,
        "新科技先進製造區 (Hong Kong Park); 先進製造與新能源科技",
    ),
    Industry(
        "smart_city",
        "Smart city",
        "智慧城市",
        "智慧城市",
        SEED_2018,
        "關於國際創科中心打造智慧城市群的建議",
    ),
    Industry(
        "fintech",
        "Financial technology",
        "金融科技",
        "金融科技",
        SEED_2018,
        "積極支持在落馬洲河套地區發展金融科技",
    ),
)


@functools.cache
def _by_code() -> dict[str, Industry]:
    return {entry.code: entry for entry in INDUSTRIES}


def industry(code: str) -> Industry | None:
    """The focus field with ``code``, if any."""
    return _by_code().get(code)


def check_industry(code: str, *, field: str = "industry") -> str:
    """Return ``code`` (trimmed, lower-cased) if it names one of the zone's focus fields."""
    normalized = code.strip().lower() if isinstance(code, str) else ""
    if normalized not in _by_code():
        known = ", ".join(_by_code())
        raise ValidationFailed.single(
            field, "industry.code", f"{code!r} is not a focus field; use one of: {known}"
        )
    return normalized
