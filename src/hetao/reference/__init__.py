"""Reference data: HS 2022 nomenclature, countries, currencies and the zone's industry fields."""

from hetao.reference.countries import check_country, country_name
from hetao.reference.currencies import check_currency, currency_name
from hetao.reference.hs import (
    HsEntry,
    HsSection,
    chapter_of,
    check_hs_code,
    heading_of,
    lookup,
    section_of,
    subheading_of,
)
from hetao.reference.industries import INDUSTRIES, Industry, check_industry, industry

__all__ = [
    "INDUSTRIES",
    "HsEntry",
    "HsSection",
    "Industry",
    "chapter_of",
    "check_country",
    "check_currency",
    "check_hs_code",
    "check_industry",
    "country_name",
    "currency_name",
    "heading_of",
    "industry",
    "lookup",
    "section_of",
    "subheading_of",
]
