"""Facts round-trip through JSON exactly, and bad stored facts are refused naming the key."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest

from engine.jdm import random_facts
from engine.support import (
    consignment,
    credential,
    crossing,
    goods,
    hetao,
    person,
    vehicle,
)
from hetao.engine.facts import (
    CrossingFacts,
    SelectionState,
    SubjectType,
    facts_from_json,
    facts_to_json,
)
from hetao.errors import ValidationFailed


def round_trip(facts: CrossingFacts) -> CrossingFacts:
    return facts_from_json(json.loads(json.dumps(facts_to_json(facts))))


class TestRoundTrip:
    @pytest.mark.parametrize(
        "subject",
        [
            person(credential=credential("valid"), designated_carrier=True),
            consignment(
                goods(
                    value_cny=Decimal("1234.50"), special_article=True, hgr=True, hgr_approval="A-1"
                ),
                hand_carried=True,
                carrier=person(),
            ),
            vehicle(passengers=(person(), person(person_id=None)), consignments=(consignment(),)),
            person(person_id=None, document_ambiguous=True),
        ],
        ids=["person", "consignment", "vehicle", "ambiguous-document"],
    )
    def test_every_subject_type_round_trips_exactly(self, subject: Any) -> None:
        selection = SelectionState(
            period_start=dt.datetime(2026, 11, 23, 4, tzinfo=dt.UTC),
            inspections_in_period=3,
            crossings_in_period=40,
        )
        facts = crossing(subject, selection=selection)
        assert round_trip(facts) == facts
        assert facts_to_json(round_trip(facts)) == facts_to_json(facts)

    def test_facts_stored_before_a_key_was_added_read_and_write_back_unchanged(self) -> None:
        stored = facts_to_json(crossing(person()))
        assert "document_ambiguous" not in stored["subject"]  # written only when true
        assert facts_to_json(facts_from_json(stored)) == stored

    def test_generated_crossings_round_trip(self) -> None:
        rng = random.Random(7)
        for index in range(500):
            facts = random_facts(rng, hetao(), index=index)
            assert round_trip(facts) == facts

    def test_decimals_keep_their_digits_and_times_are_stored_in_utc(self) -> None:
        local = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        data = facts_to_json(crossing(consignment(goods(value_cny=Decimal("0.10"))), at=local))
        assert data["subject"]["lines"][0]["value_cny"] == "0.10"
        assert data["occurred_at"] == "2026-11-23T04:00:00+00:00"
        assert data["subject"]["type"] == SubjectType.CONSIGNMENT


class TestRefusal:
    def base(self) -> dict[str, Any]:
        return facts_to_json(crossing(consignment()))

    def refused(self, data: dict[str, Any]) -> tuple[str, str]:
        with pytest.raises(ValidationFailed) as caught:
            facts_from_json(data)
        problem = caught.value.problems[0]
        return problem.field, problem.rule

    def test_a_missing_key_is_named(self) -> None:
        data = self.base()
        del data["subject"]["lines"][0]["hs_code"]
        assert self.refused(data) == ("subject.lines[0].hs_code", "required")

    def test_a_float_amount_is_refused(self) -> None:
        data = self.base()
        data["subject"]["lines"][0]["value_cny"] = 12.5
        assert self.refused(data) == ("subject.lines[0].value_cny", "a_string_required")

    def test_a_time_without_an_offset_is_refused(self) -> None:
        data = self.base()
        data["occurred_at"] = "2026-11-23T04:00:00"
        assert self.refused(data) == ("occurred_at", "timezone_required")

    def test_an_unknown_subject_type_is_refused(self) -> None:
        data = self.base()
        data["subject"]["type"] = "drone"
        assert self.refused(data) == ("subject.type", "unknown_subject_type")

    def test_a_boolean_is_not_a_number(self) -> None:
        data = self.base()
        data["subject"]["party"]["party_id"] = True
        assert self.refused(data) == ("subject.party.party_id", "an_integer_required")
