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
