"""R15: the vehicle permits a crossing point requires are profile data, not a demand everywhere.

Also where the whitelist only facilitates (``whitelist_only = false``, a public port), an entry
that does not speak for the party leaves it ordinary: treated like a party not on the whitelist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from engine.support import (
    NOT_LISTED,
    codes,
    consignment,
    crossing,
    decided,
    hengqin,
    hetao,
    party,
    person,
    reason_for,
    standing,
    vehicle,
    without_random_selection,
)
from hetao.engine.facts import Outcome, VehicleFacts, facts_from_json, facts_to_json
from hetao.profiles import ZoneProfile


def car(*permit_points: str) -> VehicleFacts:
    """A car as gathered now: the points its permits name, no whitelist, an unlisted driver."""
    return vehicle(
        permit_valid_here=None,
        permit_points=permit_points,
        whitelist=NOT_LISTED,
        driver=person(person_id=None, whitelist=NOT_LISTED),
    )


def requiring(profile: ZoneProfile, code: str, *permits: str) -> ZoneProfile:
    points = tuple(
        p.model_copy(update={"vehicle_permits_required": permits}) if p.code == code else p
        for p in profile.crossing_points
    )
    return without_random_selection(profile.model_copy(update={"crossing_points": points}))


class TestTheProfilesSayWhichPermitsEachPointRequires:
    def test_R15_hetao_requires_the_channel_1_permit_at_channel_1_only(self) -> None:  # noqa: N802
        required = {p.code: p.vehicle_permits_required for p in hetao().crossing_points}
        assert required == {
            "HUANGGANG": (),
            "FUTIAN": (),
            "FBZ_CHANNEL_1": ("FBZ_CHANNEL_1",),
            "SL_GOODS": (),
            "SL_PASSENGER": (),
        }
        assert hetao().is_provisional("crossing_points.HUANGGANG.vehicle_permits_required")
        assert not hetao().is_provisional("crossing_points.FBZ_CHANNEL_1.vehicle_permits_required")

    def test_R15_hengqin_requires_no_permit_on_either_line(self) -> None:  # noqa: N802
        required = {p.code: p.vehicle_permits_required for p in hengqin().crossing_points}
        assert required == {"HENGQIN_PORT": (), "SL_GOODS": ()}
        assert hengqin().is_provisional("crossing_points.HENGQIN_PORT.vehicle_permits_required")


class TestR15PermitsByPoint:
    def test_R15_a_car_without_the_channel_1_permit_is_refused_at_channel_1(self) -> None:  # noqa: N802
        decision = decided(crossing(car()))
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "R15.permit_invalid").text["en"] == (
            "Vehicle AB1234 has no valid permit for Channel No. 1, Futian Bonded Zone (R15)"
        )

    def test_R15_a_permit_for_another_point_does_not_open_channel_1(self) -> None:  # noqa: N802
        assert "R15.permit_invalid" in codes(decided(crossing(car("HUANGGANG"))))

    def test_R15_a_whitelisted_car_with_the_channel_1_permit_is_released_there(self) -> None:  # noqa: N802
        subject = dataclasses.replace(
            car("FBZ_CHANNEL_1"), whitelist=standing(entry_id=71), driver=person()
        )
        assert decided(crossing(subject)).outcome is Outcome.RELEASE

    def test_R15_an_ordinary_car_crosses_huanggang_without_a_permit(self) -> None:  # noqa: N802
        decision = decided(crossing(car(), point="HUANGGANG"))
        assert "R15.permit_invalid" not in codes(decision)
        assert decision.outcome is Outcome.RELEASE

    @pytest.mark.parametrize(("point", "line"), [("HENGQIN_PORT", "first"), ("SL_GOODS", "second")])
    def test_R15_an_ordinary_car_crosses_either_line_of_hengqin_without_a_permit(  # noqa: N802
        self, point: str, line: str
    ) -> None:
        facts = crossing(car(), point=point, line=line)
        decision = decided(facts, profile=without_random_selection(hengqin()))
        assert "R15.permit_invalid" not in codes(decision)
        assert decision.outcome is Outcome.RELEASE

    def test_R15_a_permit_the_profile_requires_is_demanded_wherever_it_says(self) -> None:  # noqa: N802
        profile = requiring(hengqin(), "SL_GOODS", "HENGQIN_PORT")
        without = decided(crossing(car(), point="SL_GOODS", line="second"), profile=profile)
        assert reason_for(without, "R15.permit_invalid").text["en"] == (
            "Vehicle AB1234 has no valid permit for Hengqin Port (R15)"
        )
        held = crossing(car("HENGQIN_PORT"), point="SL_GOODS", line="second")
        assert decided(held, profile=profile).outcome is Outcome.RELEASE

    def test_R15_a_decision_stored_before_permits_were_profile_data_replays_as_decided(  # noqa: N802
        self,
    ) -> None:
        # Then a permit naming the point was demanded everywhere, Huanggang included.
        stored = facts_to_json(crossing(vehicle(permit_valid_here=False), point="HUANGGANG"))
        assert "permit_points" not in stored["subject"]
        facts = facts_from_json(stored)
        assert facts_to_json(facts) == stored
        assert "R15.permit_invalid" in codes(decided(facts))

    def test_R15_facts_gathered_now_carry_the_permit_points_and_read_back(self) -> None:  # noqa: N802
        document = facts_to_json(crossing(car("FBZ_CHANNEL_1")))
        assert document["subject"]["permit_points"] == ["FBZ_CHANNEL_1"]
        assert "permit_valid_here" not in document["subject"]
        assert facts_to_json(facts_from_json(document)) == document


class TestR15OrdinaryTreatmentWhereTheWhitelistOnlyFacilitates:
    @pytest.mark.parametrize("status", ["suspended", "revoked"])
    @pytest.mark.parametrize(
        ("profile", "point"), [(hetao, "HUANGGANG"), (hengqin, "HENGQIN_PORT")]
    )
    def test_R15_a_party_whose_entry_is_not_in_force_is_treated_like_an_unlisted_one(  # noqa: N802
        self, profile: Callable[[], ZoneProfile], point: str, status: str
    ) -> None:
        zone = without_random_selection(profile())
        listed_not_in_force = party(whitelist=standing(entry_id=21, status=status))
        decision = decided(
            crossing(consignment(party=listed_not_in_force), point=point), profile=zone
        )
        unlisted = decided(
            crossing(consignment(party=party(whitelist=NOT_LISTED)), point=point), profile=zone
        )
        assert decision.outcome is unlisted.outcome is Outcome.INSPECT
        assert reason_for(decision, f"whitelist.{status}").outcome is Outcome.INSPECT

    def test_R15_at_channel_1_a_suspended_party_is_still_refused(self) -> None:  # noqa: N802
        suspended = party(whitelist=standing(entry_id=21, status="suspended"))
        decision = decided(crossing(consignment(party=suspended)))
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "whitelist.suspended").outcome is Outcome.REFUSE
