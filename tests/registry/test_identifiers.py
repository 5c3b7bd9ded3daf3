"""Identifier check rules against their published algorithms and examples."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import pytest

from hetao.registry.identifiers import (
    DocumentKind,
    InvalidIdentifier,
    MrzTd3,
    check_document,
    check_hk_br,
    check_hkid,
    check_mrz_td3,
    check_passport_number,
    check_resident_id,
    check_travel_permit_hk_macao,
    check_uscc,
    hkid_check_digit,
    mrz_check_digit,
    resident_id_check_digit,
    uscc_check_character,
)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# The worked example that accompanies the GB 32100-2015 check rule (body 91350100M000100Y4
# sums to 1640, 1640 mod 31 = 28, 31 - 28 = 3), as reproduced in "统一社会信用代码唯一性校验规则"
# (renrendoc.com/p-47802332.html, wddqw.com); there it refutes the ending Z and finds 3.
USCC_GB_EXAMPLE = "91350100M000100Y43"
USCC_EXAMPLES = [
    USCC_GB_EXAMPLE,
    # Listed as real codes found online in python-stdnum (stdnum/cn/uscc.py docstring and
    # tests/test_cn_uscc.doctest); each was verified against the algorithm before use.
    "91110000600037341L",
    "9144030071526726XG",
    "91310115MA1K3BTP2B",
    "91620105L015101280",
]

# GB 11643-1999, Annex A (公民身份号码实例): 北京市朝阳区 and 广东省汕头市.
RESIDENT_ID_EXAMPLES = ["11010519491231002X", "440524188001010014"]

# HKID worked examples: A123456(3) (Usenet hk.comp.pc, 1998, and mrszeto.net), E364912(5) and
# AB987654(3) (computerterminal.blogspot.com, "HKID Number Check Digit", 2013), D288754(2)
# (HKEdCity ICT slides "Validation of HKID Card number", which use A=1..Z=26 and no space
# value; that reading is equivalent for one-letter IDs because 36*9 + 9*8 = 396 = 36*11).
HKID_EXAMPLES = ["A123456(3)", "E364912(5)", "AB987654(3)", "D288754(2)"]
HKID_CHECK_CHARACTERS = "0123456789A"

# ICAO Doc 9303 Part 4 (7th/8th edition), Appendix B specimen TD3 MRZ of Utopia.
SPECIMEN_LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
SPECIMEN_LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
# The same specimen in Doc 9303 Part 1 Vol 1, 6th edition (2006): document number L898902C.
OLD_SPECIMEN_LINE2 = "L898902C<3UTO6908061F9406236ZE184226B<<<<<14"
# ICAO Doc 9303 Part 3, Appendix A, Example 3: a TD3 lower line with unused optional data.
PART3_LINE2 = "HA672242<6YTO5802254M9601086<<<<<<<<<<<<<<08"
PART3_LINE1 = "P<YTOSPECIMEN<<TEST<<<<<<<<<<<<<<<<<<<<<<<<<"  # not published: any valid upper line

# Check digit positions of the TD3 lower line (0-based) and the rule each one enforces.
MRZ_CHECK_POSITIONS = {
    9: "ICAO9303.check_digit.document_number",
    19: "ICAO9303.check_digit.birth_date",
    27: "ICAO9303.check_digit.expiry_date",
    42: "ICAO9303.check_digit.optional_data",
    43: "ICAO9303.check_digit.composite",
}


def rule_of(call: Callable[[], object]) -> str:
    """Run a call that must refuse its identifier and return the rule it names."""
    with pytest.raises(InvalidIdentifier) as caught:
        call()
    return caught.value.rule


def seeded(seed: int) -> random.Random:
    """A reproducible generator; the values are test data, not secrets."""
    return random.Random(seed)


def replace_at(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def build_td3(
    *,
    number: str,
    state: str,
    surname: str,
    given: str,
    birth: str,
    sex: str,
    expiry: str,
    optional: str = "",
) -> tuple[str, str]:
    """Assemble a TD3 MRZ with every check digit computed by mrz_check_digit."""
    name = f"{surname}<<{given}".replace(" ", "<")
    line1 = f"P<{state}{name}".ljust(44, "<")
    number_field = number.ljust(9, "<")
    optional_field = optional.ljust(14, "<")
    body = (
        number_field
        + mrz_check_digit(number_field)
        + state
        + birth
        + mrz_check_digit(birth)
        + sex
        + expiry
        + mrz_check_digit(expiry)
        + optional_field
        + mrz_check_digit(optional_field)
    )
    composite = body[0:10] + body[13:20] + body[21:43]
    return line1, body + mrz_check_digit(composite)


class TestInvalidIdentifier:
    def test_keeps_the_rule_and_the_message(self) -> None:
        error = InvalidIdentifier("HKID.format", "HKID 'X' is not valid")
        assert (error.rule, error.message, str(error)) == (
            "HKID.format",
            "HKID 'X' is not valid",
            "HKID 'X' is not valid",
        )

    def test_is_a_value_error(self) -> None:
        assert isinstance(InvalidIdentifier("r", "m"), ValueError)


class TestCheckUscc:
    @pytest.mark.parametrize("code", USCC_EXAMPLES)
    def test_accepts_published_examples(self, code: str) -> None:
        assert check_uscc(code) == code

    def test_normalises_case_and_surrounding_space(self) -> None:
        assert check_uscc("  91350100m000100y43\n") == USCC_GB_EXAMPLE

    @pytest.mark.parametrize("code", USCC_EXAMPLES)
    def test_refuses_a_uscc_whose_check_character_is_wrong(self, code: str) -> None:
        for char in USCC_CHARSET.replace(code[17], ""):
            wrong = code[:17] + char
            assert rule_of(partial(check_uscc, wrong)) == "GB32100-2015.check_character", wrong

    def test_refuses_every_single_character_change_of_the_body(self) -> None:
        # Weights 3^i mod 31 are non-zero modulo the prime 31, so any substitution shows.
        for index in range(17):
            allowed = "0123456789" if 2 <= index <= 7 else USCC_CHARSET
            for char in allowed.replace(USCC_GB_EXAMPLE[index], ""):
                wrong = replace_at(USCC_GB_EXAMPLE, index, char)
                assert rule_of(partial(check_uscc, wrong)) == "GB32100-2015.check_character"

    def test_names_the_wrong_and_the_expected_check_character(self) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            check_uscc("91350100M000100Y4X")
        assert "check character is 'X', expected '3'" in caught.value.message

    def test_refuses_a_widely_repeated_example_that_fails_the_check(self) -> None:
        # Circulates in blog posts as a sample code; its check character should be 7.
        assert rule_of(partial(check_uscc, "91310115MA1H8R7C6D")) == "GB32100-2015.check_character"

    @pytest.mark.parametrize(
        "code",
        [
            "",
            "91350100M000100Y4",  # 17 characters
            "91350100M000100Y433",  # 19 characters
            "91350100M000100Y4Z",  # GB 32100's own counter-example: Z is not in the code set
            "9I350100M000100Y43",
            "91350100O000100Y43",
            "91350100M0001S0Y43",
            "91350100M000100V43",
            "91A50100M000100Y43",  # positions 3-8 are the division code, digits only
            "91350100M000100Y4-",
            "91350100M000100Y4３",  # full-width digit
        ],
    )
    def test_refuses_a_uscc_that_breaks_the_format(self, code: str) -> None:
        assert rule_of(partial(check_uscc, code)) == "GB32100-2015.format"


class TestUsccCheckCharacter:
    def test_gives_the_check_character_of_the_standards_worked_example(self) -> None:
        assert uscc_check_character("91350100M000100Y4") == "3"

    @pytest.mark.parametrize("code", USCC_EXAMPLES)
    def test_agrees_with_published_examples(self, code: str) -> None:
        assert uscc_check_character(code[:17]) == code[17]

    @pytest.mark.parametrize("body", ["91350100M000100Y", "91350100M000100YI", "9135010AM000100Y4"])
    def test_refuses_a_body_that_breaks_the_format(self, body: str) -> None:
        assert rule_of(partial(uscc_check_character, body)) == "GB32100-2015.format"

    def test_generated_codes_pass_check_uscc(self) -> None:
        rng = seeded(32100)
        for _ in range(200):
            body = (
                "".join(rng.choices(USCC_CHARSET, k=2))
                + "".join(rng.choices(string.digits, k=6))
                + "".join(rng.choices(USCC_CHARSET, k=9))
            )
            code = body + uscc_check_character(body)
            assert check_uscc(code) == code


class TestCheckResidentId:
    @pytest.mark.parametrize("number", RESIDENT_ID_EXAMPLES)
    def test_accepts_published_examples(self, number: str) -> None:
        assert check_resident_id(number) == number

    def test_normalises_a_lower_case_x(self) -> None:
        assert check_resident_id(" 11010519491231002x ") == "11010519491231002X"

    @pytest.mark.parametrize("number", RESIDENT_ID_EXAMPLES)
    def test_refuses_a_resident_id_whose_check_digit_is_wrong(self, number: str) -> None:
        for char in "0123456789X".replace(number[17], ""):
            wrong = number[:17] + char
            assert rule_of(partial(check_resident_id, wrong)) == "GB11643-1999.check_digit", wrong

    def test_refuses_every_single_digit_change_outside_the_birth_date(self) -> None:
        # MOD 11-2 weights are non-zero modulo the prime 11, so any substitution shows; the
        # birth date digits are left alone because a changed date may not be a calendar date.
        number = RESIDENT_ID_EXAMPLES[1]
        for index in [*range(6), 14, 15, 16]:
            for char in string.digits.replace(number[index], ""):
                wrong = replace_at(number, index, char)
                assert rule_of(partial(check_resident_id, wrong)) == "GB11643-1999.check_digit"

    def test_names_the_wrong_and_the_expected_check_digit(self) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            check_resident_id("110105194912310021")
        assert "check digit is '1', expected 'X'" in caught.value.message

    @pytest.mark.parametrize(
        "birth",
        ["20230230", "19490229", "19000229", "20231301", "20230001", "20230100", "00000101"],
    )
    def test_refuses_a_birth_date_that_is_not_a_calendar_date(self, birth: str) -> None:
        body = f"110105{birth}002"
        number = body + resident_id_check_digit(body)
        assert rule_of(partial(check_resident_id, number)) == "GB11643-1999.birth_date"

    def test_refuses_a_birth_date_in_the_future(self) -> None:
        body = "11010529990101002"
        number = body + resident_id_check_digit(body)
        assert rule_of(partial(check_resident_id, number)) == "GB11643-1999.birth_date"

    def test_accepts_29_february_of_a_leap_year(self) -> None:
        body = "11010520000229002"
        number = body + resident_id_check_digit(body)
        assert check_resident_id(number) == number

    @pytest.mark.parametrize(
        "number",
        [
            "",
            "1101051949123100",  # 16 characters
            "11010519491231002X1",  # 19 characters
            "11010519491231002Y",
            "X10105194912310021",
            "110105194912310 2X",
            "11010519491231００2X",  # full-width digits
            "110105491231002",  # 15-digit GB 11643-1989 number, replaced by this standard
        ],
    )
    def test_refuses_a_resident_id_that_breaks_the_format(self, number: str) -> None:
        assert rule_of(partial(check_resident_id, number)) == "GB11643-1999.format"


class TestResidentIdCheckDigit:
    @pytest.mark.parametrize("number", RESIDENT_ID_EXAMPLES)
    def test_agrees_with_published_examples(self, number: str) -> None:
        assert resident_id_check_digit(number[:17]) == number[17]

    @pytest.mark.parametrize(
        "body", ["1101051949123100", "1101051949123100X", "11010519491231002X"]
    )
    def test_refuses_a_body_that_is_not_17_digits(self, body: str) -> None:
        assert rule_of(partial(resident_id_check_digit, body)) == "GB11643-1999.format"

    def test_generated_numbers_pass_check_resident_id(self) -> None:
        rng = seeded(11643)
        first, last = date(1900, 1, 1).toordinal(), date(2020, 12, 31).toordinal()
        for _ in range(200):
            born = date.fromordinal(rng.randint(first, last))
            area = f"{rng.randint(110000, 829999)}"
            body = f"{area}{born:%Y%m%d}{rng.randint(0, 999):03d}"
            number = body + resident_id_check_digit(body)
            assert check_resident_id(number) == number


class TestCheckHkid:
    @pytest.mark.parametrize("hkid", HKID_EXAMPLES)
    def test_accepts_published_examples(self, hkid: str) -> None:
        assert check_hkid(hkid) == hkid

    @pytest.mark.parametrize(
        "written", ["A123456(3)", "A1234563", "A123456 (3)", " a 123456 3 ", "A 123456(3)"]
    )
    def test_returns_the_canonical_form_for_every_accepted_writing(self, written: str) -> None:
        assert check_hkid(written) == "A123456(3)"

    @pytest.mark.parametrize("hkid", HKID_EXAMPLES)
    def test_refuses_a_hkid_whose_check_digit_is_wrong(self, hkid: str) -> None:
        for char in HKID_CHECK_CHARACTERS.replace(hkid[-2], ""):
            wrong = hkid[:-2] + char + ")"
            assert rule_of(partial(check_hkid, wrong)) == "HKID.check_digit", wrong

    def test_names_the_wrong_and_the_expected_check_digit(self) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            check_hkid("A123456(4)")
        assert "check digit is '4', expected '3'" in caught.value.message

    @pytest.mark.parametrize(
        "hkid",
        [
            "",
            "A12345(3)",  # five digits
            "A1234567(3)",  # seven digits
            "ABC123456(3)",  # three letters
            "1123456(3)",  # no letter
            "A123456(B)",  # check digit is 0-9 or A
            "A123456",  # no check digit
            "A123456(3",
            "A123456)3(",
            "A123456[3]",
            "Ａ123456(3)",  # full-width letter
        ],
    )
    def test_refuses_a_hkid_that_breaks_the_format(self, hkid: str) -> None:
        assert rule_of(partial(check_hkid, hkid)) == "HKID.format"


class TestHkidCheckDigit:
    @pytest.mark.parametrize("hkid", HKID_EXAMPLES)
    def test_agrees_with_published_examples(self, hkid: str) -> None:
        prefix, digits = hkid[:-9], hkid[-9:-3]
        assert hkid_check_digit(prefix, digits) == hkid[-2]

    @pytest.mark.parametrize(
        ("prefix", "digits", "check"),
        [
            # 36*9 + 10*8 + 1*7 + 4*2 = 419, 419 mod 11 = 1, 11 - 1 = 10 -> A
            ("A", "100004", "A"),
            # 36*9 + 10*8 + 1*7 + 9*2 = 429 = 39*11, remainder 0 -> 0
            ("A", "100009", "0"),
            # 10*9 + 11*8 + 1*7 + 7*2 = 199, 199 mod 11 = 1 -> A
            ("AB", "100007", "A"),
            # 10*9 + 11*8 + 1*7 + 1*2 = 187 = 17*11, remainder 0 -> 0
            ("AB", "100001", "0"),
        ],
    )
    def test_writes_ten_as_a_and_eleven_as_zero(self, prefix: str, digits: str, check: str) -> None:
        assert hkid_check_digit(prefix, digits) == check

    @pytest.mark.parametrize(
        ("prefix", "digits"),
        [("", "123456"), ("ABC", "123456"), ("a", "123456"), ("A", "12345"), ("A", "12345X")],
    )
    def test_refuses_a_prefix_or_digits_that_break_the_format(
        self, prefix: str, digits: str
    ) -> None:
        assert rule_of(partial(hkid_check_digit, prefix, digits)) == "HKID.format"

    def test_generated_numbers_pass_check_hkid(self) -> None:
        rng = seeded(177)
        for _ in range(200):
            prefix = "".join(rng.choices(string.ascii_uppercase, k=rng.choice([1, 2])))
            digits = "".join(rng.choices(string.digits, k=6))
            hkid = f"{prefix}{digits}({hkid_check_digit(prefix, digits)})"
            assert check_hkid(hkid) == hkid


class TestCheckHkBr:
    # Format examples from python-stdnum (stdnum/hk/brn.py); the IRD publishes no check rule.
    @pytest.mark.parametrize("number", ["31130878", "17674094"])
    def test_accepts_eight_digits(self, number: str) -> None:
        assert check_hk_br(number) == number

    def test_strips_surrounding_space(self) -> None:
        assert check_hk_br(" 31130878\n") == "31130878"

    @pytest.mark.parametrize("number", ["00000000", "12345678", "99999999"])
    def test_applies_no_check_digit_because_none_is_published(self, number: str) -> None:
        assert check_hk_br(number) == number

    @pytest.mark.parametrize(
        "number",
        [
            "",
            "3113087",  # 7 digits
            "311308781",  # 9 digits
            "3113087A",
            "3113 0878",
            "31130878-000-01-24-A",  # the whole certificate number, not the BR number
            "３１１３０８７８",  # full-width digits
        ],
    )
    def test_refuses_anything_but_eight_digits(self, number: str) -> None:
        assert rule_of(partial(check_hk_br, number)) == "HKBR.format"


class TestCheckTravelPermitHkMacao:
    @pytest.mark.parametrize(
        "number",
        [
            "H12345678",  # card since 2013: H (Hong Kong) + 8-digit lifelong number
            "M12345678",  # M (Macao)
            "H1234567800",  # 1999-2012 card: lifelong number + 2-digit renewal count
            "M1234567801",
            "HA1234567",  # non-Chinese permanent residents, since July 2024
            "MA1234567",
        ],
    )
    def test_accepts_the_published_formats(self, number: str) -> None:
        assert check_travel_permit_hk_macao(number) == number

    def test_normalises_case_and_surrounding_space(self) -> None:
        assert check_travel_permit_hk_macao(" h12345678 ") == "H12345678"

    @pytest.mark.parametrize(
        "number",
        [
            "",
            "12345678",
            "H1234567",  # 7 digits
            "H123456789",  # 9 digits
            "H12345678901",  # 11 digits
            "C12345678",  # mainland residents' permit to Hong Kong and Macao, not this one
            "HB1234567",
            "HA12345678",
            "H 12345678",
        ],
    )
    def test_refuses_a_travel_permit_number_that_breaks_the_format(self, number: str) -> None:
        assert rule_of(partial(check_travel_permit_hk_macao, number)) == "MTP-HKM.format"


class TestMrzCheckDigit:
    # ICAO Doc 9303 Part 3, Appendix A, Examples 1 and 2.
    @pytest.mark.parametrize(("field", "check"), [("520727", "3"), ("AB2134<<<", "5")])
    def test_agrees_with_the_published_examples(self, field: str, check: str) -> None:
        assert mrz_check_digit(field) == check

    def test_gives_the_composite_of_part_3_example_3(self) -> None:
        composite = PART3_LINE2[0:10] + PART3_LINE2[13:20] + PART3_LINE2[21:43]
        assert mrz_check_digit(composite) == "8"

    def test_counts_the_filler_as_zero(self) -> None:
        assert mrz_check_digit("<<<<<<<<<") == "0"

    @pytest.mark.parametrize("field", ["ab2134", "AB 2134", "AB-2134", "ÄB2134"])
    def test_refuses_characters_outside_the_mrz_set(self, field: str) -> None:
        assert rule_of(partial(mrz_check_digit, field)) == "ICAO9303.format"


class TestCheckMrzTd3:
    def test_reads_the_part_4_specimen(self) -> None:
        assert check_mrz_td3(SPECIMEN_LINE1, SPECIMEN_LINE2) == MrzTd3(
            document_number="L898902C3",
            issuing_state="UTO",
            nationality="UTO",
            surname="ERIKSSON",
            given_names="ANNA MARIA",
            birth_date=date(1974, 8, 12),
            sex="F",
            expiry_date=date(2012, 4, 15),
        )

    def test_reads_the_sixth_edition_specimen_with_a_padded_number(self) -> None:
        read = check_mrz_td3(SPECIMEN_LINE1, OLD_SPECIMEN_LINE2)
        assert (read.document_number, read.birth_date, read.expiry_date) == (
            "L898902C",
            date(1969, 8, 6),
            date(1994, 6, 23),
        )

    def test_accepts_part_3_example_3_with_zero_for_unused_optional_data(self) -> None:
        read = check_mrz_td3(PART3_LINE1, PART3_LINE2)
        assert (read.document_number, read.sex, read.birth_date) == (
            "HA672242",
            "M",
            date(1958, 2, 25),
        )

    def test_accepts_a_filler_check_digit_for_unused_optional_data(self) -> None:
        check_mrz_td3(PART3_LINE1, replace_at(PART3_LINE2, 42, "<"))

    def test_refuses_a_filler_check_digit_for_used_optional_data(self) -> None:
        line2 = replace_at(SPECIMEN_LINE2, 42, "<")
        rule = rule_of(partial(check_mrz_td3, SPECIMEN_LINE1, line2))
        assert rule == "ICAO9303.check_digit.optional_data"

    @pytest.mark.parametrize(("index", "rule"), sorted(MRZ_CHECK_POSITIONS.items()))
    def test_refuses_an_mrz_whose_check_digit_is_wrong(self, index: int, rule: str) -> None:
        for line2 in (SPECIMEN_LINE2, OLD_SPECIMEN_LINE2, PART3_LINE2):
            line1 = PART3_LINE1 if line2 is PART3_LINE2 else SPECIMEN_LINE1
            for char in string.digits.replace(line2[index], ""):
                wrong = replace_at(line2, index, char)
                assert rule_of(partial(check_mrz_td3, line1, wrong)) == rule, wrong

    def test_names_the_wrong_and_the_expected_check_digit(self) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            check_mrz_td3(SPECIMEN_LINE1, replace_at(SPECIMEN_LINE2, 9, "7"))
        assert "check digit is '7', expected '6'" in caught.value.message

    def test_refuses_a_changed_document_number(self) -> None:
        line2 = replace_at(SPECIMEN_LINE2, 3, "9")
        rule = rule_of(partial(check_mrz_td3, SPECIMEN_LINE1, line2))
        assert rule == "ICAO9303.check_digit.document_number"

    @pytest.mark.parametrize(
        ("line1", "line2"),
        [
            (SPECIMEN_LINE1[:-1], SPECIMEN_LINE2),  # 43 characters
            (SPECIMEN_LINE1, SPECIMEN_LINE2 + "<"),  # 45 characters
            (SPECIMEN_LINE1.replace("ANNA", "AN A"), SPECIMEN_LINE2),
            (SPECIMEN_LINE1, SPECIMEN_LINE2.replace("UTO", "U-O")),
            ("V" + SPECIMEN_LINE1[1:], SPECIMEN_LINE2),  # a visa's document code
            ("P<UTO" + "<" * 39, SPECIMEN_LINE2),  # no name
            ("P<1TO" + SPECIMEN_LINE1[5:], SPECIMEN_LINE2),  # state code with a digit
            (SPECIMEN_LINE1, replace_at(SPECIMEN_LINE2, 20, "X")),  # sex is F, M or <
            (SPECIMEN_LINE1, "<<<<<<<<<0" + SPECIMEN_LINE2[10:]),  # no document number
        ],
    )
    def test_refuses_an_mrz_that_breaks_the_format(self, line1: str, line2: str) -> None:
        assert rule_of(partial(check_mrz_td3, line1, line2)) == "ICAO9303.format"

    @pytest.mark.parametrize("birth", ["740230", "741301", "740800", "7408<<"])
    def test_refuses_a_birth_date_that_is_not_a_calendar_date(self, birth: str) -> None:
        line1, line2 = build_td3(
            number="L898902C3",
            state="UTO",
            surname="ERIKSSON",
            given="ANNA MARIA",
            birth=birth,
            sex="F",
            expiry="120415",
        )
        assert rule_of(partial(check_mrz_td3, line1, line2)) == "ICAO9303.birth_date"

    def test_refuses_an_expiry_date_that_is_not_a_calendar_date(self) -> None:
        line1, line2 = build_td3(
            number="L898902C3",
            state="UTO",
            surname="ERIKSSON",
            given="ANNA MARIA",
            birth="740812",
            sex="F",
            expiry="120431",
        )
        assert rule_of(partial(check_mrz_td3, line1, line2)) == "ICAO9303.expiry_date"

    @pytest.mark.parametrize(
        ("birth", "expiry", "born", "expires"),
        [
            ("250101", "350101", date(2025, 1, 1), date(2035, 1, 1)),
            ("250102", "800101", date(1925, 1, 2), date(1980, 1, 1)),
            ("991231", "751231", date(1999, 12, 31), date(2075, 12, 31)),
        ],
    )
    def test_places_two_digit_years_in_the_right_century(
        self, birth: str, expiry: str, born: date, expires: date
    ) -> None:
        # A birth date is never after today; an expiry date lies within 50 years of today.
        line1, line2 = build_td3(
            number="X1",
            state="UTO",
            surname="A",
            given="B",
            birth=birth,
            sex="<",
            expiry=expiry,
        )
        read = check_mrz_td3(line1, line2, today=date(2025, 1, 1))
        assert (read.birth_date, read.expiry_date, read.sex) == (born, expires, "X")

    def test_reads_a_three_character_state_code_padded_with_filler(self) -> None:
        line1, line2 = build_td3(
            number="C01X00T47",
            state="D<<",
            surname="MUSTERMANN",
            given="ERIKA",
            birth="640812",
            sex="F",
            expiry="270831",
        )
        read = check_mrz_td3(line1, line2)
        assert (read.issuing_state, read.nationality) == ("D", "D")

    def test_generated_mrzs_pass_and_read_back(self) -> None:
        rng = seeded(9303)
        letters, alnum = string.ascii_uppercase, string.ascii_uppercase + string.digits
        today = date(2025, 6, 30)
        for _ in range(200):
            born = today - timedelta(days=rng.randint(0, 36000))
            expires = today + timedelta(days=rng.randint(-3650, 3650))
            number = "".join(rng.choices(alnum, k=rng.randint(1, 9)))
            surname = "<".join(
                "".join(rng.choices(letters, k=rng.randint(2, 8))) for _ in range(rng.randint(1, 2))
            )
            given = "<".join(
                "".join(rng.choices(letters, k=rng.randint(2, 8))) for _ in range(rng.randint(0, 2))
            )
            optional = "".join(rng.choices(alnum, k=rng.randint(0, 14)))
            sex = rng.choice("FM<")
            line1, line2 = build_td3(
                number=number,
                state=rng.choice(["CHN", "HKG", "MAC", "GBR", "D<<"]),
                surname=surname,
                given=given,
                birth=f"{born:%y%m%d}",
                sex=sex,
                expiry=f"{expires:%y%m%d}",
                optional=optional,
            )
            read = check_mrz_td3(line1, line2, today=today)
            assert (read.document_number, read.birth_date, read.expiry_date) == (
                number,
                born,
                expires,
            )
            assert (read.surname, read.given_names, read.sex) == (
                surname.replace("<", " "),
                given.replace("<", " "),
                "X" if sex == "<" else sex,
            )


class TestCheckPassportNumber:
    @pytest.mark.parametrize(
        ("written", "number"),
        [("L898902C3", "L898902C3"), (" l898902c3 ", "L898902C3"), ("L898902C<", "L898902C")],
    )
    def test_returns_the_number_normalised(self, written: str, number: str) -> None:
        assert check_passport_number(written) == number

    def test_accepts_a_number_that_matches_the_mrz(self) -> None:
        mrz = (SPECIMEN_LINE1, SPECIMEN_LINE2)
        assert check_passport_number("L898902C3", mrz=mrz) == "L898902C3"

    def test_refuses_a_number_that_differs_from_the_mrz(self) -> None:
        mrz = (SPECIMEN_LINE1, SPECIMEN_LINE2)
        rule = rule_of(partial(check_passport_number, "L898902C4", mrz=mrz))
        assert rule == "ICAO9303.document_number.mismatch"

    def test_refuses_a_number_whose_mrz_fails_its_check_digits(self) -> None:
        mrz = (SPECIMEN_LINE1, replace_at(SPECIMEN_LINE2, 43, "1"))
        rule = rule_of(partial(check_passport_number, "L898902C3", mrz=mrz))
        assert rule == "ICAO9303.check_digit.composite"

    @pytest.mark.parametrize(
        "number", ["", "L898902C34", "<898902C3", "L898-902C", "L898 902C", "Ｌ898902C3"]
    )
    def test_refuses_a_passport_number_that_breaks_the_format(self, number: str) -> None:
        assert rule_of(partial(check_passport_number, number)) == "ICAO9303.document_number.format"


class TestCheckDocument:
    @pytest.mark.parametrize(
        ("kind", "number", "normalised"),
        [
            (DocumentKind.MAINLAND_RESIDENT_ID, "11010519491231002x", "11010519491231002X"),
            (DocumentKind.HK_IDENTITY_CARD, "A1234563", "A123456(3)"),
            (DocumentKind.MAINLAND_TRAVEL_PERMIT_HK_MACAO, "h12345678", "H12345678"),
            (DocumentKind.PASSPORT, "l898902c3", "L898902C3"),
        ],
    )
    def test_applies_the_rule_of_each_kind(
        self, kind: DocumentKind, number: str, normalised: str
    ) -> None:
        assert check_document(kind, number) == normalised

    @pytest.mark.parametrize(
        ("kind", "number", "rule"),
        [
            (DocumentKind.MAINLAND_RESIDENT_ID, "110105194912310021", "GB11643-1999.check_digit"),
            (DocumentKind.HK_IDENTITY_CARD, "A123456(4)", "HKID.check_digit"),
            (DocumentKind.MAINLAND_TRAVEL_PERMIT_HK_MACAO, "H1234567", "MTP-HKM.format"),
            (DocumentKind.PASSPORT, "L898902C34", "ICAO9303.document_number.format"),
        ],
    )
    def test_refuses_with_the_rule_of_each_kind(
        self, kind: DocumentKind, number: str, rule: str
    ) -> None:
        assert rule_of(partial(check_document, kind, number)) == rule

    def test_checks_a_passport_number_against_its_mrz(self) -> None:
        mrz = (SPECIMEN_LINE1, SPECIMEN_LINE2)
        rule = rule_of(partial(check_document, DocumentKind.PASSPORT, "L898902C4", mrz=mrz))
        assert rule == "ICAO9303.document_number.mismatch"

    @pytest.mark.parametrize("kind", [k for k in DocumentKind if k is not DocumentKind.PASSPORT])
    def test_refuses_an_mrz_for_a_document_other_than_a_passport(self, kind: DocumentKind) -> None:
        mrz = (SPECIMEN_LINE1, SPECIMEN_LINE2)
        rule = rule_of(partial(check_document, kind, "H12345678", mrz=mrz))
        assert rule == "ICAO9303.mrz_passport_only"
