"""The information-processing fee (信息处理费) of 国办函〔2020〕109号, per request.

Art. 42 of the regulation allows a fee only for requests clearly excessive in number or
frequency; 109号 sets it. What is built: charging **per request** (按件计收), counted per
requester per calendar month at the agency:

* the first ``free_requests_per_month`` (10) requests of a month are free;
* requests 11–30: ``fee_per_request_cents`` each (10000 分 = 100 元);
* from the 31st the price rises every 10 requests: 31–40 at twice the base (200 元), 41–50
  at three times (300 元), 51–60 at four times, and so on.

A tenant may raise the free count (e.g. 15: requests 16–30 pay the base) or lower the base,
never the reverse (``DisclosureSettings`` bounds them); the steps from the 31st do not move.
Charging by volume (按量计收, per page) is the alternative of 109号 and is not built (its page
tiers are not verified here); a request is never charged both ways.

Who is "the same requester": the keyed hash (blind index, ``zhengwu.core.pii``) of their ID
number or unified social credit code when one was given, otherwise their name exactly as
registered. Which month: the month of the date of receipt; the order within a month is the
order of receipt (then registration time), so the n-th request of the month pays ``price(n)``.

Payment: the applicant pays within ``PAYMENT_DAYS`` working days of the notice; the span
from the notice to payment does not count in the reply limit (see ``clock``). Unpaid past
that limit, the agency may close the request as other/fee_unpaid (Art. 42 row of the annual
report: 申请人逾期未按收费通知要求缴纳费用).
"""

from __future__ import annotations

__all__ = ["PAYMENT_DAYS", "STEP_FROM", "STEP_SIZE", "fee_for"]

PAYMENT_DAYS = 20
"""Working days to pay after the fee notice (109号: 20 working days from receiving it)."""
STEP_FROM = 31
"""The first request of the month whose price is above the base."""
STEP_SIZE = 10
"""The price rises by one base every this many requests from ``STEP_FROM``."""


def fee_for(ordinal: int, *, free: int = 10, base_cents: int = 10000) -> int:
    """The fee in cents (分) of the ``ordinal``-th request (1-based) of a requester's month."""
    if ordinal < 1:
        raise ValueError("ordinal is 1-based")
    if ordinal <= free:
        return 0
    if ordinal < STEP_FROM:
        return base_cents
    return base_cents * (2 + (ordinal - STEP_FROM) // STEP_SIZE)
