"""Vehicle plate formats by region."""

from __future__ import annotations

import pytest

from hetao.registry.identifiers import InvalidIdentifier
from hetao.registry.models import PlateRegion
from hetao.registry.plates import check_plate


class TestCheckPlate:
    @pytest.mark.parametrize(
        ("plate", "region", "canonical"),
        [
            ("粤B·12345", PlateRegion.MAINLAND, "粤B12345"),
            ("粤BD12345", PlateRegion.MAINLAND, "粤BD12345"),  # new-energy: 6 characters
            ("粤Z·A123港", PlateRegion.CROSS_BOUNDARY, "粤ZA123港"),
            ("粤Z 1234澳", PlateRegion.CROSS_BOUNDARY, "粤Z1234澳"),
            ("ab 1234", PlateRegion.HONG_KONG, "AB1234"),
            ("HK 1", PlateRegion.HONG_KONG, "HK1"),
            ("TECH 88", PlateRegion.HONG_KONG, "TECH 88"),  # personalised
        ],
    )
    def test_accepts_and_canonicalises_a_valid_plate(
        self, plate: str, region: PlateRegion, canonical: str
    ) -> None:
        assert check_plate(plate, region) == canonical

    @pytest.mark.parametrize(
        ("plate", "region", "rule"),
        [
            ("粤I12345", PlateRegion.MAINLAND, "plate.mainland.format"),  # I is never issued
            ("B12345", PlateRegion.MAINLAND, "plate.mainland.format"),
            ("粤B1234", PlateRegion.MAINLAND, "plate.mainland.format"),
            ("粤B12345", PlateRegion.CROSS_BOUNDARY, "plate.cross_boundary.format"),
            ("粤Z12345港", PlateRegion.CROSS_BOUNDARY, "plate.cross_boundary.format"),
            ("IO 1234", PlateRegion.HONG_KONG, "plate.hong_kong.format"),
            ("ABCDEFGHJ", PlateRegion.HONG_KONG, "plate.hong_kong.format"),  # over 8
            ("HETAO 1", PlateRegion.HONG_KONG, "plate.hong_kong.format"),  # O is never used
        ],
    )
    def test_refuses_a_plate_that_breaks_its_region_format(
        self, plate: str, region: PlateRegion, rule: str
    ) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            check_plate(plate, region)
        assert caught.value.rule == rule
