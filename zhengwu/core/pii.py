"""Personal data (个人信息): resident ID numbers and phone numbers — check, mask, encrypt, index,
and keep out of logs (architecture rule 10).

What this module holds:

* **Validation** — ``validate_id_number`` (GB 11643-1999, 18 characters, ISO 7064 MOD 11-2
  check character, birth date, province) and ``validate_phone`` (mainland mobile or landline).
  Both normalise (full-width characters, spaces, ``x`` → ``X``, ``+86``) and raise
  ``Invalid`` with stable ``pii.*`` codes.
* **Masks** for output — ``mask_id_number``, ``mask_phone``, ``mask_name``.
* **Encryption at rest** — ``PiiCipher``: AES-256-GCM text tokens ``v1.<base64url>`` and
  keyed-hash **blind indexes** (HMAC-SHA256) so an encrypted column can still be searched for
  equality. The master key is the setting ``ZHENGWU_PII_KEY``.
* **Logs** — ``PiiLogFilter`` / ``install_log_filter()``, which redact anything shaped like an
  ID number or a mobile number from every log record, and ``redact(text)``.

What it must never do: log, echo or return plain personal data it was not asked to return.
Error messages say *what* is wrong with a number, never the number (nor a part of it);
``repr(PiiCipher)`` hides the keys; masks never reveal four trailing characters (see
``mask_id_number``). Only ``decrypt`` and the validators (which return the value they were
given, normalised) hand back plain values, to the caller that holds them anyway.

Keys: one 32-byte master key; HKDF-SHA256 derives two independent keys from it, one for
encryption (``info=zhengwu-pii-encryption-v1``) and one for blind indexes
(``info=zhengwu-pii-blind-index-v1``), so a leaked index key decrypts nothing. Without
``ZHENGWU_PII_KEY`` outside production the master key is derived from ``ZHENGWU_SECRET_KEY``
(``info=zhengwu-pii-dev``) so the demo works; changing the secret key then makes stored
tokens unreadable. Production refuses to start without the key. Key rotation is not built:
the ``v1.`` prefix leaves room for a later token version that names its key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zhengwu.core import clock
from zhengwu.core.errors import Invalid

if TYPE_CHECKING:
    from zhengwu.core.config import Settings

__all__ = [
    "PROVINCE_CODES",
    "PiiCipher",
    "PiiKeyError",
    "PiiLogFilter",
    "id_check_char",
    "install_log_filter",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "redact",
    "validate_id_number",
    "validate_phone",
]

# --------------------------------------------------------------------------- ID numbers

PROVINCE_CODES: frozenset[str] = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
})
"""The first two digits of a resident ID number: the province-level division codes
(71 台湾, 81 香港, 82 澳门 as issued to residents of those regions)."""

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_SPACES = re.compile(r"\s+")


def _clean(value: str) -> str:
    """Full-width → half-width (NFKC: users type ``１３８…`` in Chinese input methods), no
    whitespace anywhere."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or ""))


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number.

    >>> id_check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("id_check_char needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _id_error(code: str, zh: str, en: str, field: str, **params: Any) -> Invalid:
    # Never put the number (or any part of it) into the message or the params.
    return Invalid(code, zh, en, field=field, **params)


def validate_id_number(value: str, field: str = "id_number") -> str:
    """An 18-character resident identity number (公民身份号码, GB 11643-1999), normalised.

    Whitespace is removed, full-width characters and a lower-case ``x`` are normalised; the
    result is 17 digits and a check digit or ``X``. Refused, each with its code: a legacy
    15-digit number (``pii.id_number_length``, asking for the 18-character number), another
    length (``pii.id_number_length``), other characters (``pii.id_number_chars``), a first
    two digits that are no province (``pii.id_number_region``), a birth date (characters
    7–14) that is no date, before 1900 or in the future (``pii.id_number_birth_date``), a
    wrong check character (``pii.id_number_checksum``). Messages never contain the number.

    >>> validate_id_number("11010519491231002x")
    '11010519491231002X'
    """
    v = _clean(value).upper()
    if len(v) == 15 and v.isascii() and v.isdigit():
        raise _id_error("pii.id_number_length",
                        "不再受理 15 位旧版身份证号码，请填写 18 位公民身份号码",
                        "15-digit (first-generation) ID numbers are no longer accepted; "
                        "enter the 18-character resident identity number",
                        field, length=15, legacy=True)
    if len(v) != 18:
        raise _id_error("pii.id_number_length",
                        f"公民身份号码应为 18 位，实际为 {len(v)} 位",
                        f"a resident identity number has 18 characters, not {len(v)}",
                        field, length=len(v))
    if _ID_SHAPE.fullmatch(v) is None:
        raise _id_error("pii.id_number_chars",
                        "公民身份号码应为 17 位数字加 1 位数字或 X",
                        "a resident identity number is 17 digits followed by a digit or X",
                        field)
    if v[:2] not in PROVINCE_CODES:
        raise _id_error("pii.id_number_region",
                        "公民身份号码前两位不是有效的省级行政区划代码",
                        "the first two digits of the identity number are not a province code",
                        field)
    born: date | None
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > clock.today_shanghai():
        reason = ("not_a_date" if born is None else "before_1900" if born.year < 1900
                  else "future")
        zh, en = {
            "not_a_date": ("不是有效日期", "is not a valid date"),
            "before_1900": ("早于 1900 年", "is before 1900"),
            "future": ("晚于今天", "is in the future"),
        }[reason]
        raise _id_error("pii.id_number_birth_date",
                        f"公民身份号码中的出生日期（第 7–14 位）{zh}",
                        f"the birth date in the identity number (characters 7–14) {en}",
                        field, reason=reason)
    if id_check_char(v[:17]) != v[17]:
        raise _id_error("pii.id_number_checksum",
                        "公民身份号码校验位不正确，请核对号码",
                        "the identity number's check character is wrong; please check the number",
                        field)
    return v


# --------------------------------------------------------------------------- phones

_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
# Area codes: 010 and 020–029 have three digits, every other one (0[3-9]xx) four; subscriber
# numbers have 7–8 digits and never start with 0 or 1.
_LANDLINE = re.compile(r"(0(?:10|2[0-9])|0[3-9][0-9]{2})([2-9][0-9]{6,7})")


def validate_phone(value: str, field: str = "phone") -> str:
    """A mainland phone number, normalised, or ``Invalid`` (``pii.phone_invalid``).

    * mobile ``1[3-9]`` + 9 digits, with an optional ``+86``/``86`` prefix, spaces and dashes
      → the 11 digits (``+86 138-0013-8000`` → ``13800138000``);
    * landline: area code + 7–8 digits, with or without a dash → ``area-number``
      (``05634012345`` → ``0563-4012345``; 010 and 02x are the three-digit area codes).

    Service numbers (400…, 95…) and extensions are refused. The message never contains
    the number.

    >>> validate_phone("+86 138 0013 8000"), validate_phone("010 6552 9988")
    ('13800138000', '010-65529988')
    """
    v = _clean(value).replace("-", "")
    if (m := _MOBILE.fullmatch(v)) is not None:
        return m[1]
    if (m := _LANDLINE.fullmatch(v)) is not None:
        return f"{m[1]}-{m[2]}"
    raise Invalid("pii.phone_invalid",
                  "电话号码无效：应为 11 位手机号码（可带 +86），或带区号的固定电话（如 0563-4012345）",
                  "invalid phone number: an 11-digit mobile number (optionally with +86) or a "
                  "landline with its area code (e.g. 0563-4012345)",
                  field=field)


# --------------------------------------------------------------------------- masks

_MIN_SHOWN = 9  # below this many characters, a value is masked entirely


def _mask(value: str, head: int = 3, tail: int = 2) -> str:
    """Keep ``head`` and ``tail`` letters/digits, star the others; separators stay."""
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c.isalnum()]
    hidden = positions if len(positions) < _MIN_SHOWN else positions[head:len(positions) - tail]
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)


def mask_id_number(value: str) -> str:
    """The ID number with its first 3 and last 2 characters kept: ``341*************2X``.

    Why only two at the end: the public case lookup asks for the **last four** characters
    of the applicant's ID number (or phone) as its check value, so a masked number shown
    anywhere — a receipt, a page, a log — must never reveal four trailing characters, or it
    would hand a stranger the check value. The first three (province and city) are not
    secret. Values shorter than 9 characters are masked entirely.
    """
    return _mask(_clean(value).upper())


def mask_phone(value: str) -> str:
    """The phone number with its first 3 and last 2 digits kept: ``138******78``;
    landlines likewise (``056*-*****45``). Same reason as ``mask_id_number``: never four
    trailing digits (the public case lookup's check value)."""
    try:
        v = validate_phone(value)
    except Invalid:
        v = _clean(value)
    return _mask(v)


def mask_name(value: str) -> str:
    """The surname character and a star for each other character: ``张*``, ``欧阳娜娜`` →
    ``欧***``, ``张`` → ``*``. (Compound surnames are not guessed: one kept character is
    enough for a clerk to recognise a person and tells a stranger little.)"""
    v = (value or "").strip()
    if len(v) <= 1:
        return "*" * len(v)
    return v[0] + "*" * (len(v) - 1)


# --------------------------------------------------------------------------- encryption


class PiiKeyError(RuntimeError):
    """``ZHENGWU_PII_KEY`` is missing (in production) or malformed. Raised at start-up."""


_TOKEN_VERSION = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_INFO_ENCRYPTION = b"zhengwu-pii-encryption-v1"
_INFO_INDEX = b"zhengwu-pii-blind-index-v1"
_INFO_DEV = b"zhengwu-pii-dev"
_KEY_HELP = ("base64 of 32 random bytes, e.g. python3 -c 'import secrets,base64;"
             "print(base64.b64encode(secrets.token_bytes(32)).decode())'")


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=info).derive(material)


def _undecryptable() -> Invalid:
    return Invalid("pii.undecryptable",
                   "个人信息密文无法解密（已被篡改，或密钥不符）",
                   "personal data token cannot be decrypted (tampered with, or another key)")


class PiiCipher:
    """AES-256-GCM for personal data at rest, and keyed hashes to search it.

    ``encrypt`` returns a text token ``v1.<base64url(nonce ‖ ciphertext+tag)>`` with a fresh
    random 12-byte nonce, so the same value encrypts differently each time (nothing can be
    learnt from equal ciphertexts); equality search goes through ``blind_index``, stored in
    its own indexed column. ``context`` (optional) is authenticated associated data: a token
    encrypted for one context (e.g. ``"intake.applicant.id_number"``) does not decrypt in
    another, so tokens cannot be swapped between columns unnoticed.

    Build one with ``PiiCipher.from_settings(settings)`` (cached per key).
    """

    __slots__ = ("_aead", "_index_key")

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != _KEY_BYTES:
            raise PiiKeyError(f"the personal-data master key must have {_KEY_BYTES} bytes")
        self._aead = AESGCM(_hkdf(master_key, _INFO_ENCRYPTION))
        self._index_key = _hkdf(master_key, _INFO_INDEX)

    def __repr__(self) -> str:
        return "PiiCipher(<keys hidden>)"

    @classmethod
    def from_settings(cls, settings: Settings) -> PiiCipher:
        """The cipher of ``ZHENGWU_PII_KEY``; outside production, without it, a key derived
        from ``ZHENGWU_SECRET_KEY`` (demo only). Raises ``PiiKeyError`` when the key is
        missing in production or is not base64 of 32 bytes (the key itself is never shown).
        """
        raw = settings.pii_key.get_secret_value().strip() if settings.pii_key is not None else ""
        if not raw:
            if settings.environment == "production":
                raise PiiKeyError(f"ZHENGWU_PII_KEY must be set in production ({_KEY_HELP})")
            return _cipher_for(_dev_master_key(settings.secret_key.get_secret_value()))
        return _cipher_for(_decode_key(raw))

    def encrypt(self, plain: str, *, context: str = "") -> str:
        """A fresh token for ``plain`` (a different one on every call)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain.encode("utf-8"), context.encode("utf-8"))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{_TOKEN_VERSION}.{body}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        """The plain value of a token; ``Invalid`` (``pii.undecryptable``) when the token was
        altered, belongs to another key or context, or is no token at all."""
        version, dot, body = (token or "").partition(".")
        if version != _TOKEN_VERSION or not dot:
            raise _undecryptable()
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise _undecryptable() from None
        if len(blob) <= _NONCE_BYTES:
            raise _undecryptable()
        try:
            plain = self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:],
                                       context.encode("utf-8"))
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise _undecryptable() from None

    def blind_index(self, kind: str, value: str) -> str:
        """HMAC-SHA256 (hex) of ``kind:normalised value`` under the index key.

        Equal values of a kind give equal digests (store it in an indexed column and search
        with the digest of the searched value); different kinds or keys give unrelated
        digests, so the index of a phone says nothing about an ID number. ``id_number`` and
        ``phone`` values are normalised like their validators do (``x``/``X``, ``+86``,
        spaces, full-width); other kinds lose surrounding whitespace and full-width forms.
        """
        if not kind or ":" in kind:
            raise ValueError("blind_index kind must be non-empty and contain no ':'")
        message = f"{kind}:{_normalise_for_index(kind, value)}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def _normalise_for_index(kind: str, value: str) -> str:
    cleaned = unicodedata.normalize("NFKC", value or "").strip()
    try:
        if kind == "id_number":
            return validate_id_number(cleaned)
        if kind == "phone":
            return validate_phone(cleaned)
    except Invalid:
        pass  # an invalid value still gets a (useless but harmless) digest
    return cleaned


def _decode_key(raw: str) -> bytes:
    text = raw.translate(str.maketrans("-_", "+/"))  # accept the URL-safe alphabet too
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PiiKeyError(f"ZHENGWU_PII_KEY is not valid base64 ({_KEY_HELP})") from None
    if len(key) != _KEY_BYTES:
        raise PiiKeyError(f"ZHENGWU_PII_KEY must decode to {_KEY_BYTES} bytes, not {len(key)} "
                          f"({_KEY_HELP})")
    return key


@functools.lru_cache(maxsize=8)
def _dev_master_key(secret_key: str) -> bytes:
    return _hkdf(secret_key.encode("utf-8"), _INFO_DEV)


@functools.lru_cache(maxsize=16)
def _cipher_for(master_key: bytes) -> PiiCipher:
    """One cipher per key: the two HKDF derivations run once, not per call."""
    return PiiCipher(master_key)


# --------------------------------------------------------------------------- logs

_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{6}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9Xx](?![0-9])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
# Lookarounds instead of \b: in a str pattern \b treats Chinese characters as word
# characters, so "身份证110105…" has no boundary before the digits.
_NOT_DIGIT = re.compile(r"[^0-9Xx]")


def _mask_id_match(m: re.Match[str]) -> str:
    return mask_id_number(_NOT_DIGIT.sub("", m[0]))


def _mask_mobile_match(m: re.Match[str]) -> str:
    return mask_phone(re.sub(r"[^0-9]", "", m[0])[-11:])


def redact(text: str) -> str:
    """``text`` with every 18-character ID number and mainland mobile number masked
    (also written with ``+86`` or in 3-4-4 / 6-8-4 groups)."""
    if not any(c.isdigit() for c in text):
        return text
    return _MOBILE_IN_TEXT.sub(_mask_mobile_match, _ID_IN_TEXT.sub(_mask_id_match, text))


_EXC_FORMATTER = logging.Formatter()


def _redact_record(record: logging.LogRecord) -> None:
    """Mask personal data in a record in place: its message (msg % args), its formatted
    exception and its stack. A record without any is left untouched (args included, for
    structured handlers); one with some gets the masked text as ``msg`` and no ``args``."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format: logging reports it later, with msg and args —
        record.msg = redact(str(record.msg))  # so those must be clean too
        if isinstance(record.args, Mapping):
            record.args = {k: redact(str(a)) for k, a in record.args.items()}
        elif record.args:
            record.args = tuple(redact(str(a)) for a in record.args)
    else:
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
    exc_text = record.exc_text
    if not exc_text and isinstance(record.exc_info, tuple) and record.exc_info[0] is not None:
        exc_text = _EXC_FORMATTER.formatException(record.exc_info)
    if exc_text:
        clean = redact(exc_text)
        if clean != exc_text:
            # Formatters print exc_text when it is set; dropping exc_info keeps formatters
            # that render the exception themselves from printing the original.
            record.exc_text, record.exc_info = clean, None
    if isinstance(record.stack_info, str):
        record.stack_info = redact(record.stack_info)


class PiiLogFilter(logging.Filter):
    """Masks ID numbers and mobile numbers in every record it sees; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_FILTER = PiiLogFilter()
_FACTORY_MARK = "_zhengwu_pii_redacting"


def install_log_filter() -> None:
    """Keep personal data out of every log, whoever logs it. Idempotent.

    A ``logging.Filter`` on a logger only sees records logged *on that logger*, not those
    propagated from its children (``zhengwu.plugins.intake`` …) nor third-party loggers, and
    one on a handler only covers that handler — not the handlers added later (uvicorn's log
    config, pytest's ``caplog``, a worker's ``basicConfig``). So three layers:

    1. the **log record factory** is wrapped: every record created by any logger, at any
       time, is masked at birth — this is the net that holds whatever handlers come later;
    2. a ``PiiLogFilter`` on every handler that exists now (the root logger's and every
       other logger's), for records built without the factory (``logging.makeLogRecord``,
       e.g. records received from another process);
    3. the same filter on the ``zhengwu`` logger, as the brief for our own records.
    """
    factory = logging.getLogRecordFactory()
    if not getattr(factory, _FACTORY_MARK, False):
        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = factory(*args, **kwargs)
            _redact_record(record)
            return record

        setattr(redacting_factory, _FACTORY_MARK, True)
        logging.setLogRecordFactory(redacting_factory)

    root = logging.getLogger()
    filterers: list[logging.Filterer] = [logging.getLogger("zhengwu"), *root.handlers]
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            filterers.extend(logger.handlers)
    for filterer in filterers:
        if not any(isinstance(f, PiiLogFilter) for f in filterer.filters):
            filterer.addFilter(_FILTER)
