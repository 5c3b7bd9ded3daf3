"""Reference table versions: validated, kept beside each other, in force from their day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.errors import Conflict, ValidationFailed
from hetao.reference_versions import service
from hetao.reference_versions.models import TableKind
from reference_versions.support import as_version

DAY = dt.date(2027, 1, 1)


class TestAddVersion:
    @pytest.mark.parametrize("kind", list(TableKind))
    def test_keeps_a_valid_table_and_records_it(
        self, session: Session, actor: Actor, kind: TableKind
    ) -> None:
        row, created = service.add_version(
            session, kind, as_version(kind, "V-2027.1"), effective_from=DAY, actor=actor
        )
        assert created
        assert (row.kind, row.version, row.effective_from) == (kind, "V-2027.1", DAY)
        assert row.rows > 0
        event = session.scalars(select(AuditEvent)).one()
        assert event.tag == "reference:version:add"
        assert event.data["kind"] == kind.value

    def test_names_the_line_and_column_of_a_bad_cell(self, session: Session, actor: Actor) -> None:
        text = as_version(TableKind.TARIFF, "V-2027.1").replace(",0.05,", ",five,", 1)
        with pytest.raises(ValidationFailed) as refused:
            service.add_version(session, TableKind.TARIFF, text, effective_from=DAY, actor=actor)
        problem = refused.value.problems[0]
        assert problem.field == "duty_rate"
        assert problem.row is not None
        assert problem.row > 1

    def test_the_same_upload_again_is_the_first_and_another_content_conflicts(
        self, session: Session, actor: Actor
    ) -> None:
        text = as_version(TableKind.RATES, "V-2027.1")
        first, _ = service.add_version(
            session, TableKind.RATES, text, effective_from=DAY, actor=actor
        )
        again, created = service.add_version(
            session, TableKind.RATES, text, effective_from=DAY, actor=actor
        )
        assert (again.id, created) == (first.id, False)
        with pytest.raises(Conflict):
            service.add_version(
                session, TableKind.RATES, text, effective_from=DAY.replace(month=2), actor=actor
            )


class TestInForce:
    def test_the_packaged_table_until_a_version_takes_effect(
        self, session: Session, actor: Actor
    ) -> None:
        packaged = service.tariff_in_force(session, on=DAY)
        assert packaged.version == "SAMPLE-2026.1"
        for version, day in (("V-2027.1", DAY), ("V-2027.2", DAY.replace(month=3))):
            text = as_version(TableKind.TARIFF, version)
            service.add_version(session, TableKind.TARIFF, text, effective_from=day, actor=actor)
        assert service.tariff_in_force(session, on=DAY - dt.timedelta(days=1)).version == (
            "SAMPLE-2026.1"
        )
        assert service.tariff_in_force(session, on=DAY).version == "V-2027.1"
        assert service.tariff_in_force(session, on=DAY.replace(month=4)).version == "V-2027.2"
        assert [row.version for row in service.versions(session, TableKind.TARIFF)] == [
            "V-2027.2",
            "V-2027.1",
        ]

    def test_each_table_comes_from_its_own_versions(self, session: Session, actor: Actor) -> None:
        text = as_version(TableKind.EXCLUSIONS, "V-2027.1")
        service.add_version(session, TableKind.EXCLUSIONS, text, effective_from=DAY, actor=actor)
        assert service.exclusions_in_force(session, on=DAY).version == "V-2027.1"
        assert service.rates_in_force(session, on=DAY).version == "SAMPLE-2026.1"
        assert service.inspection_catalogue_in_force(session, on=DAY).version == "SAMPLE-2026.1"
        text = as_version(TableKind.INSPECTION, "LI-2027.1")
        service.add_version(session, TableKind.INSPECTION, text, effective_from=DAY, actor=actor)
        assert service.inspection_catalogue_in_force(session, on=DAY).version == "LI-2027.1"
        assert service.exclusions_in_force(session, on=DAY).version == "V-2027.1"
