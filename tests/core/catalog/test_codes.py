"""Property tests of the code rules: basic codes (GB/T 39554 structure) and unified social
credit codes (GB 32100 check character), and the implementation code built from both."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhengwu.core.catalog import codes
from zhengwu.core.catalog.codes import SubItemForm
from zhengwu.core.errors import Invalid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIGITS = "0123456789"


def _num(width: int, low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:0{width}d}")


@st.composite
def basic_codes(draw: st.DrawFn, business: bool | None = None) -> tuple[str, str, SubItemForm, bool]:
    """A valid basic code with what parsing must report (type, sub-item form, business)."""
    owner = draw(st.sampled_from(["00", "34", "45", "65", "11"]))
    item_type = draw(st.sampled_from(sorted(codes.ITEM_TYPES)))
    dept = draw(st.text(DIGITS + "ABCDEFGHJKLMNPQRTUWXY", min_size=2, max_size=2))
    main = draw(_num(3, 1, 999))
    sub = draw(st.one_of(st.just("000"), st.just("00Y"), _num(3, 1, 999)))
    form = (SubItemForm.MAIN_WITH_SUBS if sub == "00Y" else
            SubItemForm.NONE if sub == "000" else SubItemForm.SUB)
    is_business = draw(st.booleans()) if business is None else business
    if form is SubItemForm.MAIN_WITH_SUBS:
        is_business = False
    suffix = draw(_num(2, 1, 99)) if is_business else ""
    return owner + item_type + dept + main + sub + suffix, item_type, form, is_business


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    first17 = draw(st.text(ALPHABET, min_size=17, max_size=17))
    return first17 + codes.credit_check_char(first17)


@given(basic_codes())
def test_valid_basic_codes_parse(case: tuple[str, str, SubItemForm, bool]) -> None:
    code, item_type, form, business = case
    assert codes.parse_basic_code(code) == (item_type, form, business)
    assert codes.parse_basic_code(code.lower()) == (item_type, form, business)


@given(basic_codes(), st.sampled_from(["00", "11", "19", "21", "99", "AB"]))
def test_unknown_item_type_digits_are_refused(case: tuple[str, str, SubItemForm, bool],
                                              bad: str) -> None:
    code = case[0]
    with pytest.raises(Invalid) as e:
        codes.parse_basic_code(code[:2] + bad + code[4:])
    assert e.value.code == "catalog.bad_basic_code" and e.value.field == "basic_code"


@given(basic_codes(), st.integers(1, 4))
def test_wrong_lengths_are_refused(case: tuple[str, str, SubItemForm, bool], cut: int) -> None:
    code = case[0]
    for bad in (code[:-cut], code + "7" * cut):
        assume(len(bad) not in (12, 14))
        with pytest.raises(Invalid):
            codes.parse_basic_code(bad)


@given(basic_codes(business=False))
def test_main_item_zero_and_business_00_are_refused(case: tuple[str, str, SubItemForm, bool]) -> None:
    code = case[0]
    with pytest.raises(Invalid):
        codes.parse_basic_code(code[:6] + "000" + code[9:])
    with pytest.raises(Invalid):
        codes.parse_basic_code(code + "00")


@given(basic_codes(business=False), _num(2, 1, 99))
def test_no_business_items_below_a_main_item_with_sub_items(
        case: tuple[str, str, SubItemForm, bool], suffix: str) -> None:
    code = case[0]
    with pytest.raises(Invalid):
        codes.parse_basic_code(code[:9] + "00Y" + suffix)


@given(basic_codes(), st.integers(0, 13), st.sampled_from("-_ .#中"))
def test_foreign_characters_are_refused(case: tuple[str, str, SubItemForm, bool], pos: int,
                                        char: str) -> None:
    code = case[0]
    assume(pos < len(code))
    with pytest.raises(Invalid):
        codes.parse_basic_code(code[:pos] + char + code[pos + 1:])


@given(credit_codes())
def test_generated_credit_codes_validate(code: str) -> None:
    assert codes.validate_credit_code(code) == code
    assert codes.validate_credit_code(f" {code.lower()} ") == code


@given(credit_codes(), st.integers(0, 17), st.sampled_from(ALPHABET))
def test_any_single_substitution_breaks_the_checksum(code: str, pos: int, char: str) -> None:
    assume(code[pos] != char)
    with pytest.raises(Invalid) as e:
        codes.validate_credit_code(code[:pos] + char + code[pos + 1:], field="department_credit_code")
    assert e.value.code == "catalog.bad_credit_checksum"
    assert e.value.field == "department_credit_code"


@given(credit_codes(), st.integers(0, 16))
def test_adjacent_transpositions_break_the_checksum(code: str, pos: int) -> None:
    a, b = code[pos], code[pos + 1]
    assume(a != b)
    with pytest.raises(Invalid):
        codes.validate_credit_code(code[:pos] + b + a + code[pos + 2:])


@given(credit_codes(), st.integers(0, 17), st.sampled_from("IOZSV*"))
def test_letters_outside_the_alphabet_are_a_format_error(code: str, pos: int, char: str) -> None:
    with pytest.raises(Invalid) as e:
        codes.validate_credit_code(code[:pos] + char + code[pos + 1:])
    assert e.value.code == "catalog.bad_credit_code"


@given(credit_codes(), st.integers(1, 6), basic_codes())
def test_implementation_code_is_credit_level_basic(credit: str, level: int,
                                                   case: tuple[str, str, SubItemForm, bool]) -> None:
    basic = case[0]
    built = codes.implementation_code(credit, level, basic)
    assert len(built) == 19 + len(basic)
    assert (built[:18], built[18], built[19:]) == (credit, str(level), basic)


@pytest.mark.parametrize("real", [
    ("11450721MB15580811", 4, "000104002000", "11450721MB155808114000104002000"),
    ("114507210081153718", 4, "452004020000", "1145072100811537184452004020000"),
    ("11650000010183859F", 2, "650116013001", "11650000010183859F2650116013001"),
    ("11440100696927671X", 3, "442011817001", "11440100696927671X3442011817001"),
])
def test_real_implementation_codes(real: tuple[str, int, str, str]) -> None:
    credit, level, basic, expected = real
    assert codes.implementation_code(credit, level, basic) == expected


@pytest.mark.parametrize("code, expected", [
    ("00016421300Y", ("01", SubItemForm.MAIN_WITH_SUBS, False)),
    ("000164213003", ("01", SubItemForm.SUB, False)),
    ("00016421300301", ("01", SubItemForm.SUB, True)),
    ("452004020000", ("20", SubItemForm.NONE, False)),
    ("001033002000", ("10", SubItemForm.NONE, False)),
])
def test_real_basic_codes(code: str, expected: tuple[str, SubItemForm, bool]) -> None:
    assert codes.parse_basic_code(code) == expected


def test_level_of_tier() -> None:
    assert [int(codes.UseLevel.of_tier(t)) for t in
            ("platform", "province", "city", "county", "township", "village")] == [1, 2, 3, 4, 5, 6]
