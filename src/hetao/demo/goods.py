"""Goods the demo's parties declare: real HS 2022 codes that the shipped sample tariff rates,
with a description, unit, goods kind (R6), unit value, currency and origin."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Goods:
    """One kind of goods as a line declares it."""

    hs_code: str
    description: str
    unit: str
    #: One of the profile's ``whitelist.waiver_goods_kinds``.
    goods_kind: str
    unit_value: Decimal
    currency: str
    origin: str

    def value_of(self, quantity: Decimal) -> Decimal:
        """The customs value of ``quantity`` of these goods, to the cent."""
        return (self.unit_value * quantity).quantize(Decimal("0.01"))


def _goods(
    hs_code: str, description: str, unit: str, kind: str, value: str, currency: str, origin: str
) -> Goods:
    return Goods(hs_code, description, unit, kind, Decimal(value), currency, origin)


# Every code is a six-digit HS 2022 subheading (src/hetao/reference/data/hs2022.csv) with a row
# in the sample tariff, so clearance assesses it; the names say what the labs use them for.
MICROSCOPE = _goods(
    "901180", "Inverted fluorescence microscope", "unit", "instruments", "186000", "HKD", "JP"
)
MONOGRAPHS = _goods(
    "490199", "Research monographs on microfluidics", "unit", "literature", "620", "HKD", "GB"
)
PCR_KITS = _goods(
    "382219", "Real-time PCR reagent kit, 96 reactions", "kit", "reagents", "1350", "HKD", "US"
)
SPECTROMETER = _goods(
    "902730", "Confocal Raman spectrometer", "unit", "instruments", "920000", "HKD", "DE"
)
CENTRIFUGE = _goods(
    "842119", "Refrigerated benchtop centrifuge", "unit", "equipment", "64000", "HKD", "DE"
)
OSCILLOSCOPE = _goods(
    "903020", "Mixed-signal oscilloscope, 4 channels", "unit", "instruments", "5200", "USD", "US"
)
MASS_SPECTROMETER = _goods(
    "902781", "Triple-quadrupole mass spectrometer", "unit", "instruments", "2450000", "HKD", "US"
)
CHROMATOGRAPH = _goods(
    "902720", "High-performance liquid chromatograph", "unit", "instruments", "410000", "HKD", "JP"
)
ETHANOL = _goods(
    "220710", "Ethanol, absolute, laboratory grade", "l", "consumables", "180", "HKD", "GB"
)
WORKSTATION = _goods(
    "847130", "Portable data-analysis workstation", "unit", "equipment", "16800", "CNY", "CN"
)
ELECTRON_MICROSCOPE = _goods(
    "901210", "Cryo transmission electron microscope", "unit", "equipment", "3600000", "EUR", "NL"
)
AUTOCLAVE = _goods(
    "841920", "Laboratory autoclave, 100 litres", "unit", "equipment", "52000", "EUR", "DE"
)
#: The R&D product the demo's enterprise makes from its reagent kits (R7).
PROTOTYPE_ASSAY = _goods(
    "382219", "Prototype multiplex diagnostic assay (R&D product)", "kit", "reagents", "2100",
    "CNY", "CN",
)  # fmt: skip
#: Goods admitted three years ago whose R5 supervision period ends soon.
SPECTROPHOTOMETER = _goods(
    "902730", "UV-visible spectrophotometer", "unit", "instruments", "98000", "HKD", "JP"
)
SCANNING_MICROSCOPE = _goods(
    "901210", "Scanning electron microscope", "unit", "equipment", "1850000", "HKD", "JP"
)
