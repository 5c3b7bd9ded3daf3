"""Vehicle plate formats of Hong Kong, the mainland and Guangdong cross-boundary plates."""

from __future__ import annotations

import re

from hetao.registry.identifiers import InvalidIdentifier
from hetao.registry.models import PlateRegion

# Mainland (GA 36-2018): province character, issuing-authority letter, then 5 characters
# (6 for new-energy vehicles); I and O are never used, to avoid confusion with 1 and 0.
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_MAINLAND = re.compile(rf"^[{_PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{5,6}}$")
# Guangdong's cross-boundary plates for Hong Kong and Macao vehicles: 粤Z + 4 characters + 港/澳.
_CROSS_BOUNDARY = re.compile(r"^粤Z[A-HJ-NP-Z0-9]{4}[港澳]$")
# Hong Kong: up to two letters (never I, O or Q) and 1-4 digits; personalised plates are up to
# eight letters, digits and spaces, also without I, O or Q.
_HK_ORDINARY = re.compile(r"^[A-HJ-NPR-Z]{0,2}[1-9][0-9]{0,3}$")
_HK_PERSONALISED = re.compile(r"^(?=.*[A-HJ-NPR-Z0-9])[A-HJ-NPR-Z0-9 ]{1,8}$")


def check_plate(value: str, region: PlateRegion) -> str:
    """Return the plate in canonical form, or raise InvalidIdentifier naming the plate rule."""
    if region is PlateRegion.HONG_KONG:
        plate = " ".join(value.upper().split())
        if _HK_ORDINARY.match(plate.replace(" ", "")):
            return plate.replace(" ", "")
        if _HK_PERSONALISED.match(plate):
            return plate
        raise InvalidIdentifier(
            "plate.hong_kong.format",
            f"{value!r} is not a Hong Kong plate (two letters and up to four digits, "
            "or a personalised plate of up to 8 characters without I, O or Q)",
        )
    plate = value.upper().replace(" ", "").replace("·", "").replace(".", "")
    if region is PlateRegion.MAINLAND:
        if _MAINLAND.match(plate):
            return plate
        raise InvalidIdentifier(
            "plate.mainland.format",
            f"{value!r} is not a mainland plate (province character, letter, 5 or 6 characters)",
        )
    if _CROSS_BOUNDARY.match(plate):
        return plate
    raise InvalidIdentifier(
        "plate.cross_boundary.format",
        f"{value!r} is not a Guangdong cross-boundary plate (粤Z, 4 characters, 港 or 澳)",
    )
