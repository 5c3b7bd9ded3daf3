"""The lookup's searches and the journey of a lot, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from factories import make_party, make_person, make_vehicle
from hetao.audit.service import Actor
from hetao.declarations.kinds import DeclarationKind
from hetao.ledger.models import Hold, Movement, MovementKind
from hetao.lookup import service
from hetao.lookup.repository import escape_like
from hetao.lookup.service import Kind, StepKind
from hetao.profiles import ZoneProfile
from lookup.support import story


class TestSearchingPersons:
    def test_finds_a_person_by_document_number_ignoring_case_and_spaces(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        person = make_person(session, actor, party.id, family_name="Ho", given_name="Wing Sze")
        number = person.documents[0].number
        spaced = f" {number[:6]} {number[6:].lower()} "
        found = service.search(session, spaced, Kind.PERSON)
        assert [p.id for p in found.persons] == [person.id]

    def test_finds_a_person_by_name_in_either_order_and_in_chinese(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        person = make_person(
            session, actor, party.id, family_name="Leung", given_name="Ka Yan", name_zh="梁嘉欣"
        )
        for query in ("LEUNG ka", "ka yan leung", "嘉欣", "梁嘉"):
            found = service.search(session, query, Kind.PERSON)
            assert person.id in [p.id for p in found.persons], query


class TestSearchingAcrossTheTwoScripts:
    def test_a_name_stored_in_traditional_is_found_typed_in_simplified_and_back(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        hong_kong = make_person(
            session, actor, party.id, family_name="Wong", given_name="Mei Ling", name_zh="黃美玲"
        )
        mainland = make_person(
            session, actor, party.id, family_name="Chen", given_name="Guo Hua", name_zh="陈国华"
        )
        for query, person in (("黄美玲", hong_kong), ("黃美", hong_kong), ("陳國華", mainland)):
            found = service.search(session, query, Kind.PERSON)
            assert [p.id for p in found.persons] == [person.id], query

    def test_a_party_is_found_by_its_chinese_name_in_the_other_script(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor, name_en="Lok Ma Chau Assay Ltd.", name_zh="落馬洲檢測")
        for query in ("落马洲检测", "马洲"):
            found = service.search(session, query, Kind.PARTY)
            assert [p.id for p in found.parties] == [party.id], query

    def test_a_different_name_is_still_not_found(self, session: Session, actor: Actor) -> None:
        party = make_party(session, actor)
        make_person(
            session, actor, party.id, family_name="Wong", given_name="Mei Ling", name_zh="黃美玲"
        )
        assert service.search(session, "黄美兰", Kind.PERSON).persons == []


class TestSearchingOtherKinds:
    def test_finds_a_vehicle_by_plate_whatever_the_spaces_and_case(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        vehicle = make_vehicle(session, actor, profile, party.id)
        assert vehicle.hk_plate is not None
        typed = " ".join(vehicle.plate)  # 粤 Z 0 1 2 3 港
        assert vehicle.id in [v.id for v in service.search(session, typed, Kind.VEHICLE).vehicles]
        hk = vehicle.hk_plate.lower()
        assert vehicle.id in [v.id for v in service.search(session, hk, Kind.VEHICLE).vehicles]

    def test_finds_a_party_by_name_in_english_or_chinese_and_by_its_code(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor, name_en="Shekou Cryogenics Ltd.", name_zh="蛇口低溫")
        assert party.uscc is not None
        for query in ("shekou cryo", "低溫", party.uscc.lower(), party.uscc[:12]):
            found = service.search(session, query, Kind.PARTY)
            assert party.id in [p.id for p in found.parties], query

    def test_finds_a_declaration_by_its_reference(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        journey = story(session, actor, profile)
        found = service.search(session, journey.exit.reference.lower(), Kind.DECLARATION)
        assert [d.id for d in found.declarations] == [journey.exit.id]

    def test_without_a_kind_every_kind_is_searched(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        journey = story(session, actor, profile)
        found = service.search(session, "bio-assay", None)
        assert found.kinds == tuple(Kind)
        assert [p.id for p in found.parties] == [journey.buyer.id]


class TestQueriesThatSearchNothing:
    def test_an_empty_or_one_character_query_searches_nothing(self, session: Session) -> None:
        for query in ("", "   ", "a", " 陳 "):
            found = service.search(session, query, None)
            assert not found.searched
            assert found.found == 0

    def test_wildcards_typed_are_taken_literally(self, session: Session, actor: Actor) -> None:
        make_party(session, actor, name_en="Percent Free Ltd.", name_zh=None)
        make_party(session, actor, name_en="Under_score 100% Ltd.", name_zh=None)
        assert service.search(session, "%%", Kind.PARTY).parties == []
        assert service.search(session, "__", Kind.PARTY).parties == []
        found = service.search(session, "100%", Kind.PARTY).parties
        assert [p.name_en for p in found] == ["Under_score 100% Ltd."]
        assert [p.name_en for p in service.search(session, "r_s", Kind.PARTY).parties] == [
            "Under_score 100% Ltd."
        ]

    def test_full_width_letters_and_control_characters_are_normalised(self) -> None:
        assert service.normalised(" ＤＣＬ－Ａ\x00 0001\t ") == "DCL-A 0001"

    def test_the_escape_character_escapes_itself(self) -> None:
        assert escape_like("a\\b%c_d") == "a\\\\b\\%c\\_d"


class TestCards:
    def test_a_party_card_shows_its_goods_crossings_and_researchers(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        journey = story(session, actor, profile)
        card = service.party_card(session, journey.buyer)
        assert journey.lot.id in [lot.id for lot in card.lots]
        assert journey.exit.id in [d.id for d in card.declarations]
        assert journey.crossing_id in [c.id for c in card.crossings]
        assert [a.person_id for a in card.affiliations] == [journey.researcher.id]
        assert card.entries, "the buyer is whitelisted"
        assert journey.researcher.id in card.persons

    def test_a_person_card_names_the_parties_it_is_affiliated_with(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        journey = story(session, actor, profile)
        card = service.person_card(session, journey.researcher)
        assert journey.buyer.id in card.parties
        assert card.credentials == []


class TestJourney:
    def test_follows_the_goods_from_entry_to_exit_in_time_order(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        told = story(session, actor, profile)
        journey = service.journey(session, told.lot)
        instants = [step.at for step in journey.steps]
        assert instants == sorted(instants)
        assert [lot.id for lot in journey.earlier] == [told.first_lot.id]

        def first(kind: StepKind, match: object) -> int:
            return next(
                index
                for index, step in enumerate(journey.steps)
                if step.kind is kind and _is(step.subject, match)
            )

        entry = first(StepKind.DECLARATION, told.entry)
        admitted = first(StepKind.MOVEMENT, MovementKind.ADMIT)
        transfer = first(StepKind.DECLARATION, told.transfer)
        received = first(StepKind.MOVEMENT, MovementKind.TRANSFER_IN)
        held = first(StepKind.HOLD, Hold)
        adjusted = first(StepKind.MOVEMENT, MovementKind.ADJUST)
        inspected = first(StepKind.INSPECTION, told.inspection_id)
        exit_ = first(StepKind.DECLARATION, told.exit)
        released = first(StepKind.MOVEMENT, MovementKind.RELEASE_SECOND_LINE)
        taxed = first(StepKind.TAX, told.exit)
        crossed = first(StepKind.CROSSING, told.crossing_id)
        assert entry < admitted < transfer < received < held < inspected < adjusted
        assert adjusted < exit_ < released < crossed
        assert exit_ < taxed
        assert journey.steps[entry].earlier_lot
        assert journey.steps[admitted].earlier_lot
        assert not journey.steps[transfer].earlier_lot

    def test_balances_after_each_movement_end_at_the_lots_balance(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        told = story(session, actor, profile)
        journey = service.journey(session, told.lot)
        own = [step for step in journey.steps if step.balance is not None]
        assert [step.subject.kind for step in own] == [
            MovementKind.TRANSFER_IN,
            MovementKind.ADJUST,
            MovementKind.RELEASE_SECOND_LINE,
        ]
        assert [step.balance for step in own] == [Decimal(6), Decimal(5), Decimal(2)]
        assert told.lot.balance == Decimal(2)

    def test_each_clearance_assesses_taxes_and_the_exit_pays_them(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        told = story(session, actor, profile)
        journey = service.journey(session, told.lot)
        taxed = {
            step.subject.kind: step.subject for step in journey.steps if step.kind is StepKind.TAX
        }
        # Every clearance on the way assessed taxes; the bonded kits pay at the second line (R7).
        assert set(taxed) == {
            DeclarationKind.FIRST_LINE_ENTRY,
            DeclarationKind.IN_ZONE_TRANSFER,
            DeclarationKind.SECOND_LINE_EXIT,
        }
        assert taxed[DeclarationKind.SECOND_LINE_EXIT].tax_total > 0

    def test_an_enterprise_reading_sees_no_taxes_of_another_partys_declarations(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        told = story(session, actor, profile)
        journey = service.journey(session, told.lot, for_party=told.buyer.id)
        taxed = [step.subject.id for step in journey.steps if step.kind is StepKind.TAX]
        assert taxed == [told.exit.id]

    def test_what_else_befell_the_earlier_lot_is_not_part_of_this_journey(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        told = story(session, actor, profile)
        journey = service.journey(session, told.lot)
        earlier = [
            step.subject
            for step in journey.steps
            if isinstance(step.subject, Movement) and step.subject.lot_id == told.first_lot.id
        ]
        assert [movement.kind for movement in earlier] == [MovementKind.ADMIT]

    def test_the_sellers_journey_shows_the_transfer_out_but_not_the_buyers_steps(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        told = story(session, actor, profile)
        journey = service.journey(session, told.first_lot)
        kinds = [step.kind for step in journey.steps]
        assert not {StepKind.HOLD, StepKind.INSPECTION, StepKind.CROSSING} & set(kinds)
        declared = [s.subject.id for s in journey.steps if s.kind is StepKind.DECLARATION]
        assert declared == [told.entry.id, told.transfer.id]
        movements = [s.subject.kind for s in journey.steps if s.kind is StepKind.MOVEMENT]
        assert movements == [MovementKind.ADMIT, MovementKind.TRANSFER_OUT]


def _is(subject: object, match: object) -> bool:
    if isinstance(match, MovementKind):
        return isinstance(subject, Movement) and subject.kind is match
    if isinstance(match, type):
        return isinstance(subject, match)
    if isinstance(match, int):
        return getattr(subject, "id", None) == match
    return subject is match
