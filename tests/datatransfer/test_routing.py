"""The pure routing of R33-R37, at every threshold and its neighbours (the hetao profile)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hetao.datatransfer.routing import (
    ROUTE_WEIGHT,
    Ground,
    Purpose,
    Route,
    TransferFacts,
    route,
)
from hetao.profiles import DataSection, load_profile

DATA: DataSection = load_profile("hetao").data


def facts(**changes: Any) -> TransferFacts:
    """A non-CII Shenzhen exporter sending research data to a recipient in Singapore."""
    values: dict[str, Any] = {
        "cii_operator": False,
        "important_data": False,
        "personal_info_subjects": 0,
        "sensitive_personal_info_subjects": 0,
        "ytd_personal_info_subjects": 0,
        "ytd_sensitive_personal_info_subjects": 0,
        "exporter_region": "Shenzhen",
        "recipient_region": "SG",
        "purpose": Purpose.RESEARCH,
    }
    values.update(changes)
    return TransferFacts(**values)


class TestThresholdsOfR34:
    def test_r34_99_999_people_are_exempt_below_the_threshold(self) -> None:
        routing = route(facts(personal_info_subjects=99_999), DATA)
        assert (routing.route, routing.rule, routing.ground) == (
            Route.EXEMPT,
            "R34",
            Ground.BELOW_THRESHOLDS,
        )
        assert routing.alternatives == ()

    def test_r34_100_000_people_need_a_standard_contract_or_certification(self) -> None:
        routing = route(facts(personal_info_subjects=100_000), DATA)
        assert (routing.route, routing.rule) == (Route.STANDARD_CONTRACT, "R34")
        assert routing.alternatives == (Route.CERTIFICATION,)
        assert [r.code for r in routing.reasons] == ["R34.personal_info_volume"]

    def test_r34_no_sensitive_personal_information_is_exempt(self) -> None:
        routing = route(facts(personal_info_subjects=10), DATA)
        assert routing.route is Route.EXEMPT

    def test_r34_one_person_s_sensitive_information_needs_a_contract(self) -> None:
        routing = route(facts(sensitive_personal_info_subjects=1), DATA)
        assert (routing.route, routing.rule) == (Route.STANDARD_CONTRACT, "R34")
        assert [r.code for r in routing.reasons] == ["R34.sensitive_volume"]

    def test_r34_no_personal_information_for_research_is_exempt_below_the_thresholds(
        self,
    ) -> None:
        routing = route(facts(purpose=Purpose.OTHER), DATA)
        assert (routing.route, routing.rule, routing.ground) == (
            Route.EXEMPT,
            "R34",
            Ground.BELOW_THRESHOLDS,
        )


class TestThresholdsOfR33:
    def test_r33_999_999_people_stay_with_a_standard_contract(self) -> None:
        routing = route(facts(personal_info_subjects=999_999), DATA)
        assert routing.route is Route.STANDARD_CONTRACT

    def test_r33_one_million_people_need_a_security_assessment(self) -> None:
        routing = route(facts(personal_info_subjects=1_000_000), DATA)
        assert (routing.route, routing.rule) == (Route.SECURITY_ASSESSMENT, "R33")
        assert routing.alternatives == ()
        assert [r.code for r in routing.reasons] == ["R33.personal_info_volume"]

    def test_r33_9_999_sensitive_people_stay_with_a_standard_contract(self) -> None:
        routing = route(facts(sensitive_personal_info_subjects=9_999), DATA)
        assert routing.route is Route.STANDARD_CONTRACT

    def test_r33_10_000_sensitive_people_need_a_security_assessment(self) -> None:
        routing = route(facts(sensitive_personal_info_subjects=10_000), DATA)
        assert (routing.route, routing.rule) == (Route.SECURITY_ASSESSMENT, "R33")
        assert [r.code for r in routing.reasons] == ["R33.sensitive_volume"]

    def test_r33_important_data_needs_a_security_assessment_whatever_the_purpose(self) -> None:
        for purpose in Purpose:
            routing = route(facts(important_data=True, purpose=purpose), DATA)
            assert routing.route is Route.SECURITY_ASSESSMENT, purpose
            assert "R33.important_data" in [r.code for r in routing.reasons]

    def test_r33_a_cii_operator_sending_one_person_s_information_needs_an_assessment(
        self,
    ) -> None:
        routing = route(facts(cii_operator=True, personal_info_subjects=1), DATA)
        assert routing.route is Route.SECURITY_ASSESSMENT
        assert [r.code for r in routing.reasons] == ["R33.cii_operator"]

    def test_r33_a_cii_operator_sending_no_personal_information_or_important_data_is_exempt(
        self,
    ) -> None:
        routing = route(facts(cii_operator=True, purpose=Purpose.ACADEMIC_COOPERATION), DATA)
        assert routing.route is Route.EXEMPT

    def test_r33_the_year_to_date_is_added_before_comparing(self) -> None:
        below = facts(personal_info_subjects=60_000, ytd_personal_info_subjects=939_999)
        at = replace(below, ytd_personal_info_subjects=940_000)
        assert route(below, DATA).route is Route.STANDARD_CONTRACT
        routing = route(at, DATA)
        assert routing.route is Route.SECURITY_ASSESSMENT
        assert routing.cumulative_personal_info_subjects == 1_000_000

    def test_r33_sensitive_year_to_date_crossing_needs_an_assessment(self) -> None:
        routing = route(
            facts(sensitive_personal_info_subjects=1, ytd_sensitive_personal_info_subjects=9_999),
            DATA,
        )
        assert routing.route is Route.SECURITY_ASSESSMENT

    def test_r34_the_year_to_date_lifts_a_small_application_to_a_contract(self) -> None:
        routing = route(
            facts(personal_info_subjects=1_000, ytd_personal_info_subjects=99_000), DATA
        )
        assert routing.route is Route.STANDARD_CONTRACT

    def test_r33_a_category_this_application_does_not_carry_does_not_weigh(self) -> None:
        # Sensitive PI sent earlier this year does not make a non-sensitive transfer heavier.
        routing = route(
            facts(personal_info_subjects=10, ytd_sensitive_personal_info_subjects=20_000), DATA
        )
        assert routing.route is Route.EXEMPT


class TestExemptionsOfR35:
    def test_r35_academic_data_with_no_personal_information_is_exempt(self) -> None:
        routing = route(facts(purpose=Purpose.ACADEMIC_COOPERATION), DATA)
        assert (routing.route, routing.rule, routing.ground) == (
            Route.EXEMPT,
            "R35",
            Ground.NO_PERSONAL_INFORMATION,
        )

    def test_r35_academic_data_with_personal_information_is_routed_by_volume(self) -> None:
        routing = route(
            facts(purpose=Purpose.ACADEMIC_COOPERATION, personal_info_subjects=150_000), DATA
        )
        assert routing.route is Route.STANDARD_CONTRACT

    def test_r35_trade_transport_manufacturing_without_personal_information_are_exempt(
        self,
    ) -> None:
        for purpose in (Purpose.TRADE, Purpose.TRANSPORT, Purpose.MANUFACTURING):
            routing = route(facts(purpose=purpose), DATA)
            assert routing.ground is Ground.NO_PERSONAL_INFORMATION, purpose

    def test_r35_contract_hr_and_emergency_are_exempt_even_with_sensitive_information(
        self,
    ) -> None:
        grounds = {
            Purpose.CONTRACT: Ground.CONTRACT_PERFORMANCE,
            Purpose.HR: Ground.HUMAN_RESOURCES,
            Purpose.EMERGENCY: Ground.EMERGENCY,
        }
        for purpose, ground in grounds.items():
            routing = route(
                facts(
                    purpose=purpose,
                    personal_info_subjects=500_000,
                    sensitive_personal_info_subjects=5_000,
                ),
                DATA,
            )
            assert (routing.route, routing.rule, routing.ground) == (Route.EXEMPT, "R35", ground)

    def test_r35_never_exempts_important_data(self) -> None:
        routing = route(facts(purpose=Purpose.HR, important_data=True), DATA)
        assert routing.route is Route.SECURITY_ASSESSMENT

    def test_r35_does_not_lift_an_r33_volume(self) -> None:
        # Decision 0006: R33 is checked first, so a purpose never waives an assessment.
        routing = route(facts(purpose=Purpose.CONTRACT, personal_info_subjects=1_000_000), DATA)
        assert routing.route is Route.SECURITY_ASSESSMENT


class TestGreaterBayAreaOfR37:
    def test_r37_shenzhen_to_hong_kong_may_use_the_gba_standard_contract(self) -> None:
        routing = route(facts(personal_info_subjects=100_000, recipient_region="HK"), DATA)
        assert (routing.route, routing.rule) == (Route.GBA_STANDARD_CONTRACT, "R37")
        assert routing.alternatives == (Route.STANDARD_CONTRACT, Route.CERTIFICATION)

    def test_r37_macao_is_not_covered_by_the_gba_standard_contract(self) -> None:
        routing = route(facts(personal_info_subjects=100_000, recipient_region="MO"), DATA)
        assert routing.route is Route.STANDARD_CONTRACT
        assert Route.GBA_STANDARD_CONTRACT not in routing.alternatives
        assert "R37.macao_not_covered" in [r.code for r in routing.reasons]

    def test_r37_an_exporter_outside_the_nine_mainland_cities_cannot_use_it(self) -> None:
        for region in ("CN", "Shanghai", "Shantou"):
            routing = route(
                facts(
                    personal_info_subjects=100_000, recipient_region="HK", exporter_region=region
                ),
                DATA,
            )
            assert routing.route is Route.STANDARD_CONTRACT, region
            assert routing.gba_eligible is False

    def test_r37_every_mainland_gba_city_qualifies(self) -> None:
        for city in ("Guangzhou", "Zhuhai", "Foshan", "Huizhou", "Dongguan", "Zhongshan",
                     "Jiangmen", "Zhaoqing", "Shenzhen"):  # fmt: skip
            routing = route(
                facts(
                    sensitive_personal_info_subjects=1, recipient_region="HK", exporter_region=city
                ),
                DATA,
            )
            assert routing.route is Route.GBA_STANDARD_CONTRACT, city

    def test_r37_an_exempt_transfer_stays_exempt_in_the_gba(self) -> None:
        routing = route(facts(personal_info_subjects=10, recipient_region="HK"), DATA)
        assert routing.route is Route.EXEMPT
        assert routing.gba_eligible is True


class TestReasons:
    def test_every_reason_is_given_in_three_languages(self) -> None:
        routing = route(
            facts(important_data=True, cii_operator=True, personal_info_subjects=2_000_000), DATA
        )
        assert [r.code for r in routing.reasons] == [
            "R33.cii_operator",
            "R33.important_data",
            "R33.personal_info_volume",
        ]
        for reason in routing.reasons:
            assert set(reason.text) == {"en", "zh-Hant", "zh-Hans"}
            assert all(reason.text.values())
            assert reason.rule == "R33"
        assert routing.reasons[2].params == {"n": 2_000_000, "limit": 1_000_000}
        assert "2,000,000" in routing.reasons[2].text["en"]
        assert "2,000,000" in routing.reasons[2].text["zh-Hans"]


persons = st.integers(min_value=0, max_value=3_000_000)
routed_facts = st.builds(
    facts,
    cii_operator=st.booleans(),
    important_data=st.booleans(),
    personal_info_subjects=persons,
    sensitive_personal_info_subjects=st.integers(min_value=0, max_value=30_000),
    ytd_personal_info_subjects=persons,
    ytd_sensitive_personal_info_subjects=st.integers(min_value=0, max_value=30_000),
    exporter_region=st.sampled_from(["Shenzhen", "CN", "Shanghai"]),
    recipient_region=st.sampled_from(["HK", "MO", "SG", "US"]),
    purpose=st.sampled_from(list(Purpose)),
)


class TestProperties:
    @given(routed_facts, st.integers(min_value=1, max_value=500_000), st.booleans())
    def test_r33_r34_more_people_never_lead_to_a_lighter_route(
        self, base: TransferFacts, more: int, sensitive: bool
    ) -> None:
        field = "sensitive_personal_info_subjects" if sensitive else "personal_info_subjects"
        heavier = replace(base, **{field: getattr(base, field) + more})
        assert ROUTE_WEIGHT[route(heavier, DATA).route] >= ROUTE_WEIGHT[route(base, DATA).route]

    @given(routed_facts)
    def test_r33_r37_alternatives_never_repeat_the_route_and_exempt_has_none(
        self, base: TransferFacts
    ) -> None:
        routing = route(base, DATA)
        assert routing.route not in routing.alternatives
        if routing.route in (Route.EXEMPT, Route.SECURITY_ASSESSMENT):
            assert routing.alternatives == ()
        if routing.route is Route.GBA_STANDARD_CONTRACT:
            assert base.recipient_region == "HK"
            assert not base.important_data

    @given(routed_facts)
    def test_r33_important_data_always_means_a_security_assessment(
        self, base: TransferFacts
    ) -> None:
        assert route(replace(base, important_data=True), DATA).route is Route.SECURITY_ASSESSMENT
