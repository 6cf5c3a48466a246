"""The information-processing fee of 国办函〔2020〕109号 at its boundaries."""

from __future__ import annotations

import pytest

from zhengwu.plugins.disclosure.fees import fee_for


@pytest.mark.parametrize(("n", "cents"), [
    (1, 0), (10, 0),              # the first 10 of a month are free
    (11, 10000), (30, 10000),     # 11–30: 100 元
    (31, 20000), (40, 20000),     # 31–40: 200 元
    (41, 30000), (50, 30000),     # 41–50: 300 元
    (51, 40000),                  # and so on, one base more every 10
])
def test_fee_boundaries(n, cents):
    assert fee_for(n) == cents


def test_fee_follows_the_tenant_settings():
    assert fee_for(5, free=4, base_cents=5000) == 5000
    assert fee_for(31, free=4, base_cents=5000) == 10000
    assert fee_for(10, free=0) == 10000


def test_fee_ordinal_is_one_based():
    with pytest.raises(ValueError):
        fee_for(0)


@pytest.mark.parametrize("change", [
    {"consultation_days": 5},          # a consulted party's 15 working days (Arts. 32, 34)
    {"free_requests_per_month": 5},    # 109号: the first 10 of a month are free
    {"fee_per_request_cents": 20000},  # 109号: 100 元 at most for requests 11–30
])
def test_settings_cannot_be_harsher_than_the_national_rules(change):
    from pydantic import ValidationError

    from zhengwu.plugins.disclosure.settings import DisclosureSettings

    with pytest.raises(ValidationError):
        DisclosureSettings(**change)
    kinder = DisclosureSettings(free_requests_per_month=15, fee_per_request_cents=5000)
    assert (kinder.free_requests_per_month, kinder.fee_per_request_cents) == (15, 5000)
