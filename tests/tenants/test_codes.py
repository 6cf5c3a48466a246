"""Division codes: parsing of every accepted form, tiers, parents, kinds, paths."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.core.errors import Invalid
from zhengwu.tenants import codes
from zhengwu.tenants.codes import Tier, kind_hint, parse_code
from zhengwu.tenants.scope import ancestor_paths


def _segment(width: int, low: int = 1) -> st.SearchStrategy[str]:
    return st.integers(low, 10**width - 1).map(lambda n: str(n).zfill(width))


def _code(t: tuple[str, str, str, str, str, str, str, str, int]) -> str:
    """Segments below the city may be zero (东莞市 441900), but not the last one: a code
    whose last segment is zero is the padding of its parent in the 12-digit form."""
    prov, city, county, town, village, county_nz, town_nz, village_nz, depth = t
    parts = [prov, city, county, town, village][:depth]
    last = {3: county_nz, 4: town_nz, 5: village_nz}.get(depth)
    if last is not None:
        parts[-1] = last
    return "".join(parts)


short_codes = st.tuples(_segment(2), _segment(2), _segment(2, 0), _segment(3, 0), _segment(3, 0),
                        _segment(2), _segment(3), _segment(3), st.integers(1, 5)).map(_code)


def test_doctests() -> None:
    assert doctest.testmod(codes).failed == 0


@given(short_codes)
def test_short_and_padded_forms_agree(short: str) -> None:
    code = parse_code(short)
    assert code.short == short
    assert parse_code(code.padded) == code
    assert len(code.padded) == 12 and code.padded.startswith(short)


@given(short_codes)
def test_parent_is_prefix_one_tier_up(short: str) -> None:
    code = parse_code(short)
    parent = code.parent
    if code.tier is Tier.PROVINCE:
        assert parent is None
    else:
        assert parent is not None and code.short.startswith(parent.short)
        assert parent.tier.depth == code.tier.depth - 1
        assert code.ancestors()[-1] == parent


@given(short_codes)
def test_path_from_ancestors_round_trips(short: str) -> None:
    code = parse_code(short)
    path = "/".join([a.short for a in code.ancestors()] + [short])
    assert ancestor_paths(path) == ["/".join(p.short for p in code.ancestors()[: i + 1])
                                    for i in range(len(code.ancestors()))]
    assert path.split("/")[-1] == short


@given(st.text(min_size=1, max_size=14))
def test_garbage_is_rejected_or_parsed_consistently(raw: str) -> None:
    try:
        code = parse_code(raw)
    except Invalid as exc:
        assert exc.code == "tenant.bad_code" and exc.field == "code"
    else:
        assert code.short.isdigit() and len(code.short) in (2, 4, 6, 9, 12)


@pytest.mark.parametrize("raw, short", [
    ("34", "34"), ("340000", "34"), ("340000000000", "34"), ("341800", "341800"),
    ("341800000000", "3418"), ("441900", "441900"), ("441900003", "441900003"),
    ("350527000", "350527000"), ("341881000000", "341881"), ("341881204000", "341881204"),
    ("341881204201", "341881204201"), (" 152501 ", "152501"), (341881, "341881"),
])
def test_accepted_forms(raw, short):
    assert parse_code(raw).short == short


@pytest.mark.parametrize("raw, reason", [
    ("", "empty"), ("3", "length"), ("34188", "length"), ("3418812041", "length"),
    ("00", "zero"), ("3400", "zero"), ("000001", "zero"), ("34a8", "digits"),
    ("３４", "digits"),
])
def test_rejected_forms(raw, reason):
    with pytest.raises(Invalid) as e:
        parse_code(raw)
    assert reason in e.value.en


@pytest.mark.parametrize("code, name, kind", [
    ("152501200", "格日勒敖都苏木", "苏木"), ("152501200201", "陶力嘎查", "嘎查"),
    ("152501400001", "东城社区居委会", "社区"), ("341802001", "西林街道", "街道"),
    ("341881100", "港口镇", "镇"), ("341881204", "方塘乡", "乡"),
    ("341881204200", "方塘村委会", "村委会"), ("152501400", "二连浩特市社区建设管理局", "类似乡级单位"),
    ("341881204510", "某某", "类似村委会"), ("341881204410", "某某", "类似居委会"),
    ("341881050", "某某", "街道"), ("341881204001", "某某", "居委会"),
])
def test_kind_hint(code, name, kind):
    assert kind_hint(parse_code(code), name) == kind


def test_kind_is_a_hint_not_validation():
    # 522632210500 is a 村委会 coded in the 500s: the name wins over the range.
    assert kind_hint(parse_code("522632210500"), "某村委会") == "村委会"
    assert kind_hint(parse_code("3418"), "宣城市") is None
