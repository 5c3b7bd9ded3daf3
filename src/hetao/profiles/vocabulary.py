"""The closed vocabularies of a zone profile: lines, flows, exemptions, taxes, tiers."""

from __future__ import annotations

from enum import StrEnum

# --- closed vocabularies ------------------------------------------------------------------


class Line(StrEnum):
    """One of the two lines of split-line management (R1)."""

    FIRST = "first"
    """Zone <-> Hong Kong (or Macao): port management."""
    SECOND = "second"
    """Zone <-> the rest of the mainland customs territory: channel management."""


class Flow(StrEnum):
    """What crosses a line."""

    PEOPLE = "people"
    """Researchers, staff and other travellers."""
    GOODS = "goods"
    """Research materials, samples, equipment, consumables and their products."""
    VEHICLES = "vehicles"
    """Cars, shuttle buses and goods vehicles."""
    FUNDS = "funds"
    """Cross-border research fund transfers."""
    DATA = "data"
    """Cross-border data transfers through the dedicated channel."""


class CrossingKind(StrEnum):
    """How a crossing point is managed."""

    PORT = "port"
    """A port of entry open to the public."""
    CHANNEL = "channel"
    """A second-line channel between the zone and the mainland."""
    DEDICATED_CHANNEL = "dedicated_channel"
    """A restricted channel for whitelisted subjects only (e.g. Channel No. 1)."""


class Direction(StrEnum):
    """Which way a crossing goes, seen from the zone."""

    INBOUND = "inbound"
    """Into the customs-supervised area."""
    OUTBOUND = "outbound"
    """Out of the customs-supervised area."""


class SubjectKind(StrEnum):
    """What a whitelist entry is about (R1: industries, institutions, individuals; vehicles)."""

    INSTITUTION = "institution"
    """A party: enterprise, institution, non-enterprise unit."""
    INDIVIDUAL = "individual"
    """A person, sponsored by the party they work for."""
    VEHICLE = "vehicle"
    """A vehicle, sponsored by its owner party."""
    INDUSTRY = "industry"
    """An industry field admitted to the zone."""


class Exemption(StrEnum):
    """A facilitation or exemption a whitelist entry can grant."""

    DUTY_FREE_RESEARCH_GOODS = "duty_free_research_goods"
    """Research goods imported for own use free of the three import taxes (R4)."""
    CENTRALISED_DECLARATION = "centralised_declaration"
    """Periodic summary declaration of research goods (R10)."""
    HAND_CARRY_CHANNEL1 = "hand_carry_channel1"
    """Hand-carrying research goods through Channel No. 1 (R13)."""
    SPECIAL_ARTICLES_PRIORITY = "special_articles_priority"
    """Priority quarantine approval of special articles (R11)."""
    CHANNEL1_VEHICLE = "channel1_vehicle"
    """A car permitted to use Channel No. 1 (R15)."""
    HGR = "hgr"
    """Human genetic resources activities (R41-R43)."""
    DATA = "data"
    """Cross-border research data through the dedicated channel (R17)."""
    DUTY_FREE_SELF_USE_EQUIPMENT = "duty_free_self_use_equipment"
    """Hengqin-style exemption of self-use machinery and equipment (R19)."""
    VALUE_ADDED_DUTY_FREE = "value_added_duty_free"
    """Duty-free entry to the mainland of goods passing the value-added test (R20, R25)."""
    ZERO_TARIFF_GOODS = "zero_tariff_goods"
    """Hainan-style: imports outside the taxed-goods catalogue enter free of the three taxes
    and are kept on the e-ledger (R23)."""


#: The exemptions that relieve goods entering through the first line, each with the rule it is
#: granted under (the rule named in every reason, in refusals and in the exemption-exclusions
#: table). A profile grants at most one of them.
FIRST_LINE_EXEMPTIONS: dict[Exemption, str] = {
    Exemption.DUTY_FREE_RESEARCH_GOODS: "R4",
    Exemption.DUTY_FREE_SELF_USE_EQUIPMENT: "R19",
    Exemption.ZERO_TARIFF_GOODS: "R23",
}


class ExemptionBasis(StrEnum):
    """How the list of a first-line exemption reads (R4: an exempt list; R23: a taxed list)."""

    POSITIVE_LIST = "positive_list"
    """Goods are exempt only when a row of the list names them (effect ``exempt_list``)."""
    NEGATIVE_LIST = "negative_list"
    """Every import is exempt unless a row of the list names it (effect ``excluded``): the
    taxed-goods catalogue of R23."""


class SecondLineTaxBasis(StrEnum):
    """What goods leaving through the second line for the mainland are taxed on."""

    GOODS_VALUE = "goods_value"
    """Their own customs value, as an import of the goods themselves (R7, R20)."""
    IMPORTED_INPUTS = "imported_inputs"
    """Their imported inputs, each at its own HS code and value; goods leaving unchanged are
    their own imported input (R24)."""


class TaxKind(StrEnum):
    """One of the three import taxes."""

    DUTY = "duty"
    """Customs duty."""
    IMPORT_VAT = "import_vat"
    """Import value-added tax."""
    CONSUMPTION_TAX = "consumption_tax"
    """Consumption tax, for the goods that bear it."""


class TransferExemptReason(StrEnum):
    """Why an in-zone transfer of exempt goods does not repay import taxes (R8)."""

    BANKRUPTCY = "bankruptcy"
    """The transferring enterprise is bankrupt."""
    DEREGISTRATION = "deregistration"
    """The transferring institution is deregistered."""


class ExcludedGoodsEntry(StrEnum):
    """How goods excluded from the first-line exemption enter (R4, R19 exclusions)."""

    DUTY_PAID = "duty_paid"
    """Taxed at the first line as an ordinary import."""
    BONDED = "bonded"
    """Enter bonded; taxed when they leave through the second line (R19: other imports)."""


class ConformityTier(StrEnum):
    """R12: how legally inspected industrial goods entering through the first line are assessed."""

    DOCUMENT_CHECK = "document_check"
    """Released on their documents (the decision says so)."""
    SAMPLING = "sampling"
    """Inspected by sampling."""
    FULL_INSPECTION = "full_inspection"
    """Inspected in full; the tier of any risk lane the profile does not list."""


class RoundingMode(StrEnum):
    """A rounding mode of the ``decimal`` module, by its constant's name."""

    ROUND_HALF_UP = "ROUND_HALF_UP"
    """Halves away from zero: the customs rule for fractions of a fen."""
    ROUND_HALF_EVEN = "ROUND_HALF_EVEN"
    """Halves to the even neighbour (banker's rounding)."""
    ROUND_DOWN = "ROUND_DOWN"
    """Towards zero (truncation)."""
    ROUND_UP = "ROUND_UP"
    """Away from zero."""


class SupervisionClass(StrEnum):
    """Goods classes with their own supervision period (R5, S24)."""

    SHIPS_AIRCRAFT = "ships_aircraft"
    """Ships and aircraft."""
    MOTOR_VEHICLES = "motor_vehicles"
    """Motor vehicles."""
    OTHER = "other"
    """All other goods."""
