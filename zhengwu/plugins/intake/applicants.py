"""Applicants (申请人): validation and the protected form their data takes at rest.

A natural person is identified by the GB 11643 ID number, an organisation by its unified
social credit code (GB 32100; public, stored as is). ID numbers and phones are encrypted
(``*_enc``), searchable by keyed hash (``*_hash``) and kept masked for every output
(``*_masked``). The public lookup's check values (the last four characters of the ID number,
credit code or phone) are stored only as keyed hashes bound to the case number.

Nothing here may log or return a plain ID number or phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.core.catalog.codes import validate_credit_code
from zhengwu.core.errors import DomainError, Invalid, InvalidField
from zhengwu.core.pii import (
    PiiCipher,
    mask_id_number,
    mask_phone,
    validate_id_number,
    validate_phone,
)
from zhengwu.plugins.intake.inputs import APPLICANT_KINDS, Applicant

__all__ = ["ProtectedApplicant", "check_hash", "protect_applicant"]


@dataclass(frozen=True)
class ProtectedApplicant:
    kind: str
    name: str
    code: str | None
    id_enc: str | None
    id_hash: str | None
    id_masked: str | None
    contact_name: str | None
    phone_enc: str | None
    phone_hash: str | None
    phone_masked: str | None
    tails: tuple[str, ...]  # the check values (last four), to be bound to the case number


def _problem(exc: DomainError, field: str) -> InvalidField:
    return InvalidField(exc.code, exc.zh, exc.en, field=field)


def protect_applicant(applicant: Applicant, cipher: PiiCipher,
                      problems: list[InvalidField]) -> ProtectedApplicant | None:
    """Validate ``applicant``; append every problem to ``problems``; protect what is valid."""
    before = len(problems)
    kind = applicant.kind
    if kind not in APPLICANT_KINDS:
        problems.append(InvalidField("case.applicant_kind", "申请人类型必须是自然人或法人/其他组织",
                                     "applicant kind must be person or organisation",
                                     field="applicant.kind"))
    name = (applicant.name or "").strip()
    if not name or len(name) > 200:
        problems.append(InvalidField("case.applicant_name", "申请人名称不能为空（不超过200字）",
                                     "the applicant's name is required (at most 200 characters)",
                                     field="applicant.name"))
    id_number = code = phone = None
    if kind == "person":
        if not applicant.id_number:
            problems.append(InvalidField("case.id_number_required", "自然人申请须提供身份证号码",
                                         "a natural person's application needs an ID number",
                                         field="applicant.idNumber"))
        else:
            try:
                id_number = validate_id_number(applicant.id_number, field="applicant.idNumber")
            except Invalid as exc:
                problems.append(_problem(exc, "applicant.idNumber"))
    elif kind == "organisation":
        if not applicant.credit_code:
            problems.append(InvalidField("case.credit_code_required", "法人或其他组织须提供统一社会信用代码",
                                         "an organisation's application needs its credit code",
                                         field="applicant.creditCode"))
        else:
            try:
                code = validate_credit_code(applicant.credit_code, field="applicant.creditCode")
            except Invalid as exc:
                problems.append(_problem(exc, "applicant.creditCode"))
    if applicant.phone:
        try:
            phone = validate_phone(applicant.phone, field="applicant.phone")
        except Invalid as exc:
            problems.append(_problem(exc, "applicant.phone"))
    contact = (applicant.contact_name or "").strip() or None
    if contact is not None and len(contact) > 100:
        problems.append(InvalidField("case.contact_name", "联系人姓名不超过100字",
                                     "the contact name is at most 100 characters",
                                     field="applicant.contactName"))
    if len(problems) > before:
        return None
    tails = tuple(v[-4:] for v in (id_number or code, phone) if v)
    return ProtectedApplicant(
        kind=kind, name=name, code=code,
        id_enc=cipher.encrypt(id_number) if id_number else None,
        id_hash=(cipher.blind_index("id_number", id_number) if id_number
                 else cipher.blind_index("credit_code", code) if code else None),
        id_masked=mask_id_number(id_number) if id_number else None,
        contact_name=contact,
        phone_enc=cipher.encrypt(phone) if phone else None,
        phone_hash=cipher.blind_index("phone", phone) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
        tails=tails,
    )


def check_hash(cipher: PiiCipher, case_no: str, tail: str) -> str:
    """The keyed hash of a lookup check value, bound to the case number."""
    return cipher.blind_index("lookup", f"{case_no}:{tail.strip().upper()}")
