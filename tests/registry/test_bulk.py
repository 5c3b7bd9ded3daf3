"""Bulk import from CSV: every bad row named with its column and rule, nothing half-applied."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_party, resident_id
from hetao.audit.service import Actor
from hetao.errors import ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.registry import bulk, identifiers
from hetao.registry.models import Person, Vehicle

PERSON_HEADER = (
    "family_name,given_name,name_zh,birth_date,residency,nationality,document_kind,"
    "document_number,document_issuing_country,affiliation_party,affiliation_role"
)


def person_row(party: str, birth: dt.date, *, number: str | None = None) -> str:
    number = number or resident_id(birth)
    return (
        f"Li,Wei,李伟,{birth.isoformat()},mainland,CN,mainland_resident_id,{number},CN,"
        f"{party},researcher"
    )


def hk_row(party: str, *, hkid: str) -> str:
    return (
        f"Wong,Ka Man,黃嘉敏,1988-02-29,hong_kong,HK,hk_identity_card,{hkid},HK,"
        f"{party},postdoctoral fellow"
    )


def count(session: Session, model: type[Person] | type[Vehicle]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestImportPersons:
    def test_imports_every_row_of_a_good_file(self, session: Session, actor: Actor) -> None:
        party = make_party(session, actor)
        assert party.uscc is not None
        hkid = "A123456(" + identifiers.hkid_check_digit("A", "123456") + ")"
        text = "\n".join(
            [
                PERSON_HEADER,
                person_row(party.uscc, dt.date(1990, 1, 2)),
                person_row(party.uscc, dt.date(1985, 7, 9)),
                hk_row(party.uscc, hkid=hkid),
            ]
        )
        result = bulk.import_persons(session, text, actor=actor)
        assert result.imported == 3
        assert count(session, Person) == 3

    def test_one_bad_row_leaves_the_database_unchanged_and_names_row_and_column(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        assert party.uscc is not None
        good = resident_id(dt.date(1991, 3, 4))
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        text = "\n".join(
            [
                PERSON_HEADER,
                person_row(party.uscc, dt.date(1990, 1, 2)),
                person_row(party.uscc, dt.date(1991, 3, 4), number=bad),
                person_row(party.uscc, dt.date(1992, 5, 6)),
            ]
        )
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_persons(session, text, actor=actor)
        assert count(session, Person) == 0
        [problem] = caught.value.problems
        assert (problem.row, problem.field, problem.rule) == (
            3,
            "document_number",
            "GB11643-1999.check_digit",
        )
        assert "nothing was imported" in caught.value.detail

    def test_reports_every_bad_row_not_just_the_first(self, session: Session, actor: Actor) -> None:
        party = make_party(session, actor)
        assert party.uscc is not None
        text = "\n".join(
            [
                PERSON_HEADER,
                person_row(party.uscc, dt.date(1990, 1, 2)).replace(",CN,mainland", ",XX,mainland"),
                person_row("91440300000000000X", dt.date(1991, 1, 2)),
                person_row(party.uscc, dt.date(1992, 1, 2)).replace("1992-01-02", "1992-02-30"),
            ]
        )
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_persons(session, text, actor=actor)
        found = {(p.row, p.field) for p in caught.value.problems}
        assert (3, "affiliation_party") in found
        assert (4, "birth_date") in found
        assert {p.row for p in caught.value.problems} == {2, 3, 4}

    def test_a_document_already_registered_is_reported_at_its_row(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        assert party.uscc is not None
        row = person_row(party.uscc, dt.date(1990, 1, 2))
        bulk.import_persons(session, f"{PERSON_HEADER}\n{row}", actor=actor)
        other = person_row(party.uscc, dt.date(1993, 1, 2))
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_persons(session, f"{PERSON_HEADER}\n{other}\n{row}", actor=actor)
        [problem] = caught.value.problems
        assert (problem.row, problem.field, problem.rule) == (
            3,
            "document_number",
            "document.unique",
        )
        assert count(session, Person) == 1

    def test_the_same_document_twice_in_one_file_is_refused(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        assert party.uscc is not None
        row = person_row(party.uscc, dt.date(1990, 1, 2))
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_persons(session, f"{PERSON_HEADER}\n{row}\n{row}", actor=actor)
        assert [p.row for p in caught.value.problems] == [3]

    def test_an_unknown_column_is_reported_against_the_header(
        self, session: Session, actor: Actor
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_persons(session, PERSON_HEADER + ",shoe_size\n", actor=actor)
        [problem] = caught.value.problems
        assert (problem.row, problem.field, problem.rule) == (1, "shoe_size", "csv.unknown_column")

    def test_a_missing_required_column_is_reported_against_the_header(
        self, session: Session, actor: Actor
    ) -> None:
        header = PERSON_HEADER.replace("birth_date,", "")
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_persons(session, header + "\n", actor=actor)
        assert (1, "birth_date", "csv.required_column") in {
            (p.row, p.field, p.rule) for p in caught.value.problems
        }


VEHICLE_HEADER = (
    "plate,plate_region,hk_plate,kind,owner_party,permit_number,permit_crossing_points,"
    "permit_valid_from,permit_valid_until"
)


class TestImportVehicles:
    def test_imports_channel_1_cars_with_their_permits(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        text = (
            f"{VEHICLE_HEADER}\n"
            f"粤Z1234港,cross_boundary,AB 123,channel1_car,{party.uscc},"
            f"CH1-2026-0001,FBZ_CHANNEL_1,2026-01-01,2026-12-31\n"
            f"粤B12345,mainland,,goods_vehicle,{party.uscc},,,,\n"
        )
        result = bulk.import_vehicles(session, text, profile=profile, actor=actor)
        assert result.imported == 2
        vehicle = session.get(Vehicle, result.ids[0])
        assert vehicle is not None
        assert vehicle.hk_plate == "AB123"
        assert vehicle.permits[0].crossing_points == ["FBZ_CHANNEL_1"]

    def test_a_permit_for_a_crossing_point_outside_the_profile_is_refused_at_its_row(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        text = (
            f"{VEHICLE_HEADER}\n"
            f"粤B12345,mainland,,goods_vehicle,{party.uscc},,,,\n"
            f"粤Z1234港,cross_boundary,AB 123,channel1_car,{party.uscc},"
            f"CH1-2026-0001,LOK_MA_CHAU,2026-01-01,2026-12-31\n"
        )
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_vehicles(session, text, profile=profile, actor=actor)
        [problem] = caught.value.problems
        assert (problem.row, problem.field, problem.rule) == (
            3,
            "permit_crossing_points",
            "profile.crossing_point",
        )
        assert count(session, Vehicle) == 0

    def test_a_bad_plate_is_refused_with_the_plate_rule(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        text = f"{VEHICLE_HEADER}\n粤Z12345,cross_boundary,AB 123,channel1_car,{party.uscc},,,,\n"
        with pytest.raises(ValidationFailed) as caught:
            bulk.import_vehicles(session, text, profile=profile, actor=actor)
        [problem] = caught.value.problems
        assert (problem.row, problem.field, problem.rule) == (
            2,
            "plate",
            "plate.cross_boundary.format",
        )
