"""The clocks of a request for disclosure (依申请公开), as pure functions over a ``WorkCalendar``.

No database here: the caller loads the calendar of the tenant that handles the request
(``load_calendar``) and passes it in, so every rule below can be tested day by day.

Conventions (those of the core calendar: a limit of n working days ends on the n-th working
day strictly *after* the day it counts from; the start day itself never counts):

* **Date of receipt (Art. 31)** — in person: the day of submission; registered mail
  (挂号信): the day the agency signs for it; ordinary letters, the internet and fax: the day
  of confirmation with the applicant. ``receipt_date`` refuses a channel's missing date and
  a date the channel does not use.
* **Correction notice (补正, Art. 30)** — at most once, within 7 working days of receipt:
  the last allowed day is ``receipt + 7`` working days.
* **Restart** — when the completed application arrives, the reply clock counts again from
  that day (``clock_start``): days before it never count.
* **Reply due date (Art. 33)** — ``clock_start + reply_days (20)`` working days, plus an
  approved extension (at most 20), with the **excluded spans** not counting:
  - a consultation (Art. 33 ¶3, Arts. 32 and 34) from the day it is sent **through** the day
    it is answered, both days included; if the party stays silent, through its limit
    (``sent + 15`` working days); an answer after the limit still ends the span at the
    limit (the party had 15 days; the agency then decides). While a consultation is open
    its span is reckoned through its limit — the latest it can end — so a stored due date is
    never too early; an answer before the limit brings the due date back.
  - a fee notice (国办函〔2020〕109号: the time from the fee notice to payment is not counted
    in the reply limit) from the notice day through the day of payment; while unpaid, through
    the payment limit (same reason).
  A span that lies before ``clock_start`` or after the due date changes nothing; overlapping
  spans count their days once.
* **Consultation due** — ``sent + consultation_days (15)`` working days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from zhengwu.core.calendar.service import Deadline, WorkCalendar
from zhengwu.core.errors import Invalid

__all__ = [
    "CHANNELS",
    "Span",
    "consultation_due",
    "correction_notice_last_day",
    "fee_payment_due",
    "receipt_date",
    "reply_deadline",
]

CHANNELS = ("in_person", "registered_mail", "letter", "online", "fax")
"""Ways an application arrives (Art. 31): 当面提交, 挂号信, 平信, 互联网, 传真."""

_NEEDS = {"in_person": None, "registered_mail": "signed_on", "letter": "confirmed_on",
          "online": "confirmed_on", "fax": "confirmed_on"}
_ZH = {"signed_on": "签收日期", "confirmed_on": "确认日期"}


@dataclass(frozen=True)
class Span:
    """Days the reply clock does not run, both ends included (``kind``: consultation | fee)."""

    kind: str
    start: date
    end: date
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "note": self.note}


def receipt_date(channel: str, submitted_on: date, *, signed_on: date | None = None,
                 confirmed_on: date | None = None) -> date:
    """The date of receipt of Art. 31 for ``channel``.

    ``submitted_on``: the day the application was handed in or sent. Registered mail needs
    ``signed_on``; letters, online and fax need ``confirmed_on``; neither may be earlier than
    ``submitted_on``; in person takes ``submitted_on`` itself.
    """
    if channel not in _NEEDS:
        raise Invalid("disclosure_request.channel", f"申请渠道必须是 {'/'.join(CHANNELS)}",
                      f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    given = {"signed_on": signed_on, "confirmed_on": confirmed_on}
    needed = _NEEDS[channel]
    for name, value in given.items():
        if value is not None and name != needed:
            raise Invalid("disclosure_request.receipt_date_not_used",
                          f"渠道 {channel} 不使用{_ZH[name]}（条例第31条）",
                          f"channel {channel} takes no {name} (Art. 31)", field=_camel(name))
    if needed is None:
        return submitted_on
    value = given[needed]
    if value is None:
        raise Invalid("disclosure_request.receipt_date_required",
                      f"渠道 {channel} 须提供{_ZH[needed]}：收到日以此为准（条例第31条）",
                      f"channel {channel} needs {needed}: it is the date of receipt (Art. 31)",
                      field=_camel(needed))
    if value < submitted_on:
        raise Invalid("disclosure_request.receipt_before_submission",
                      f"{_ZH[needed]} {value} 早于提交日期 {submitted_on}",
                      f"{needed} {value} is before the submission date {submitted_on}",
                      field=_camel(needed))
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def correction_notice_last_day(cal: WorkCalendar, received_on: date, days: int = 7) -> date:
    """The last day a correction notice may be sent (Art. 30: within 7 working days)."""
    return cal.add_working_days(received_on, days).due


def consultation_due(cal: WorkCalendar, sent_on: date, days: int = 15) -> date:
    """The day a consulted party's answer is due (Arts. 32 and 34: 15 working days)."""
    return cal.add_working_days(sent_on, days).due


def fee_payment_due(cal: WorkCalendar, notice_on: date, days: int) -> date:
    """The last day to pay a fee notice (see ``fees.PAYMENT_DAYS``)."""
    return cal.add_working_days(notice_on, days).due


def reply_deadline(cal: WorkCalendar, clock_start: date, reply_days: int,
                   extension_days: int = 0, spans: Sequence[Span] = ()) -> Deadline:
    """The reply due date: ``clock_start`` + ``reply_days`` + ``extension_days`` working days,
    the ``spans`` (consultations, fee notices) not counting; with its derivation."""
    pauses = [(s.start, s.end) for s in spans if s.end >= s.start]
    return cal.add_working_days(clock_start, reply_days + extension_days, pauses)
