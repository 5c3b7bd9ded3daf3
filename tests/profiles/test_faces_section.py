"""The profile's [faces] section: retention, the built-in verifier, thresholds per point."""

from __future__ import annotations

from pathlib import Path

from hetao.profiles import load_profile
from profiles.test_loader import assert_refused, write_variant

HETAO_THRESHOLDS = "[faces.thresholds]\nFBZ_CHANNEL_1 = 0.6"


class TestFacesSection:
    def test_hetao_compares_probes_itself_and_channel_1_is_stricter(self) -> None:
        faces = load_profile("hetao").faces
        assert faces is not None
        assert faces.builtin_verifier
        assert faces.threshold_at("FBZ_CHANNEL_1") > faces.threshold_at("HUANGGANG")
        assert faces.threshold_at("HUANGGANG") == faces.default_threshold

    def test_hengqin_takes_the_gates_own_match_results(self) -> None:
        faces = load_profile("hengqin").faces
        assert faces is not None
        assert not faces.builtin_verifier

    def test_refuses_a_threshold_for_a_point_the_zone_does_not_have(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, HETAO_THRESHOLDS, "[faces.thresholds]\nNOWHERE = 0.6")
        assert_refused(path, "faces.thresholds.NOWHERE", "unknown_crossing_point")

    def test_refuses_a_threshold_above_one(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, HETAO_THRESHOLDS, "[faces.thresholds]\nFBZ_CHANNEL_1 = 1.5")
        assert_refused(path, "faces.thresholds.FBZ_CHANNEL_1", "less_than_equal")
