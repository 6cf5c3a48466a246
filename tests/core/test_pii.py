"""Personal data: ID number and phone validation (property tests of the MOD 11-2 check
character), masks, AES-GCM tokens and blind indexes, the key setting, and the log filter."""

from __future__ import annotations

import base64
import io
import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zhengwu.core import clock, pii
from zhengwu.core.config import Settings
from zhengwu.core.errors import Invalid
from zhengwu.core.pii import PiiCipher, PiiKeyError

DIGITS = "0123456789"
SPECIMEN = "11010519491231002X"  # the classic specimen of GB 11643 (北京市朝阳区, 1949-12-31)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(pii.PROVINCE_CODES)))
    area = draw(st.text(DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)))
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    body = f"{province}{area}{born:%Y%m%d}{seq}"
    return body + pii.id_check_char(body)


mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                    st.text(DIGITS, min_size=9, max_size=9))


def _with_check(first17: str) -> str:
    return first17 + pii.id_check_char(first17)


def _error(value: str, validator: object = pii.validate_id_number) -> Invalid:
    with pytest.raises(Invalid) as info:
        validator(value)  # type: ignore[operator]
    return info.value


def _assert_no_number(err: Invalid, number: str) -> None:
    texts = [err.zh, err.en, str(err), repr(err), str(err.params), str(err.to_dict("zh")),
             str(err.to_dict("en"))]
    for text in texts:
        assert number not in text
        assert number.upper() not in text


# --------------------------------------------------------------------------- ID numbers


def test_specimen_and_known_check_characters() -> None:
    assert pii.validate_id_number(SPECIMEN) == SPECIMEN
    assert pii.id_check_char("11010519491231002") == "X"
    assert pii.id_check_char("34010119900307123") == _with_check("34010119900307123")[-1]
    # by hand: Σ d·w = 3·7+4·9+1·10+8·5+0·8+1·4+1·2+9·1+9·6+0·3+0·7+3·9+0·10+7·5+1·8+2·4+3·2
    # = 260; 260 mod 11 = 7 → "10X98765432"[7] = "5"
    assert pii.id_check_char("34180119900307123") == "5"
    with pytest.raises(ValueError):
        pii.id_check_char("1234")


@pytest.mark.parametrize("variant", [
    "11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ", "110105\t19491231002x"])
def test_normalisation(variant: str) -> None:
    assert pii.validate_id_number(variant) == SPECIMEN


@given(id_numbers())
def test_every_valid_id_passes(number: str) -> None:
    assert pii.validate_id_number(number) == number
    assert pii.validate_id_number(number.lower()) == number


@given(id_numbers(), st.integers(0, 17), st.sampled_from(DIGITS + "XABZ*-"))
def test_any_single_substitution_fails(number: str, position: int, char: str) -> None:
    assume(char != number[position])
    changed = number[:position] + char + number[position + 1:]
    with pytest.raises(Invalid):
        pii.validate_id_number(changed)


def test_every_single_substitution_of_the_specimen_fails() -> None:
    for position in range(18):
        for char in DIGITS + "X":
            if char != SPECIMEN[position]:
                changed = SPECIMEN[:position] + char + SPECIMEN[position + 1:]
                with pytest.raises(Invalid):
                    pii.validate_id_number(changed)


@given(st.text(DIGITS, min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9))
def test_mod_11_2_catches_every_single_digit_substitution(body: str, position: int, delta: int) -> None:
    # Each weight is 2^k mod 11, never 0, and 11 is prime: a change of 1–9 at one position
    # changes the weighted sum by w·δ ≢ 0 (mod 11), so the check character always changes.
    changed = body[:position] + str((int(body[position]) + delta) % 10) + body[position + 1:]
    assert pii.id_check_char(changed) != pii.id_check_char(body)


@given(st.text(DIGITS, min_size=17, max_size=17), st.integers(0, 15))
def test_mod_11_2_catches_adjacent_transpositions(body: str, position: int) -> None:
    a, b = body[position], body[position + 1]
    assume(a != b)
    swapped = body[:position] + b + a + body[position + 2:]
    assert pii.id_check_char(swapped) != pii.id_check_char(body)


def test_length_and_legacy_numbers() -> None:
    err = _error("110105491231002")  # a first-generation (15-digit) number
    assert err.code == "pii.id_number_length" and err.params["legacy"] is True
    assert "18" in err.zh and "18" in err.en
    _assert_no_number(err, "110105491231002")
    for value in (SPECIMEN[:17], SPECIMEN + "1", ""):
        err = _error(value)
        assert err.code == "pii.id_number_length" and err.field == "id_number"
        if value:
            _assert_no_number(err, value)


def test_characters() -> None:
    for value in ("1101051949123100XX", "11010519491231A02X", "11010519491231002Y"):
        err = _error(value)
        assert err.code == "pii.id_number_chars"
        _assert_no_number(err, value)


@pytest.mark.parametrize("province", ["00", "10", "16", "24", "38", "47", "55", "60", "66", "72", "83", "99"])
def test_region(province: str) -> None:
    number = _with_check(province + "010519491231002")
    err = _error(number)
    assert err.code == "pii.id_number_region"
    _assert_no_number(err, number)


@pytest.mark.parametrize(("birth", "reason"), [
    ("19491331", "not_a_date"), ("19490230", "not_a_date"), ("20230229", "not_a_date"),
    ("00000000", "not_a_date"), ("18991231", "before_1900"), ("20990101", "future")])
def test_birth_date(birth: str, reason: str) -> None:
    number = _with_check(f"341801{birth}123")
    err = _error(number)
    assert (err.code, err.params["reason"]) == ("pii.id_number_birth_date", reason)
    assert "7–14" in err.zh
    _assert_no_number(err, number)


def test_birth_date_future_follows_the_clock() -> None:
    number = _with_check("341801" + "20300615" + "123")
    with clock.freeze(datetime(2030, 6, 14, 12, tzinfo=UTC)):
        assert _error(number).params["reason"] == "future"
    with clock.freeze(datetime(2030, 6, 15, 12, tzinfo=UTC)):
        assert pii.validate_id_number(number) == number
    assert pii.validate_id_number(_with_check("341801" + "19000101" + "123"))


def test_checksum() -> None:
    wrong = SPECIMEN[:17] + "1"
    err = _error(wrong, lambda v: pii.validate_id_number(v, field="applicant.id_number"))
    assert (err.code, err.field) == ("pii.id_number_checksum", "applicant.id_number")
    _assert_no_number(err, wrong)
    assert "0021" not in err.zh + err.en  # not even the last four


@given(st.text(DIGITS + "Xx ", min_size=1, max_size=20))
def test_messages_never_contain_the_value(value: str) -> None:
    try:
        pii.validate_id_number(value)
    except Invalid as err:
        if len(value.strip()) >= 4:
            _assert_no_number(err, value.strip())


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(("raw", "normal"), [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("86-13800138000", "13800138000"),
    ("１９９１２３４５６７８", "19912345678"),
    ("0563-4012345", "0563-4012345"),
    ("05634012345", "0563-4012345"),
    ("0563 40123456", "0563-40123456"),
    ("010-65529988", "010-65529988"),
    ("02161234567", "021-61234567"),
])
def test_phone_normalisation(raw: str, normal: str) -> None:
    assert pii.validate_phone(raw) == normal
    assert pii.validate_phone(normal) == normal


@pytest.mark.parametrize("raw", [
    "12800138000", "1380013800", "138001380001", "+1 138 0013 8000", "400-123-4567", "95588",
    "0563-123456", "0563-0123456", "00563-4012345", "abc", "", "13800138000-123"])
def test_phone_invalid(raw: str) -> None:
    err = _error(raw, pii.validate_phone)
    assert (err.code, err.field) == ("pii.phone_invalid", "phone")
    if raw:
        _assert_no_number(err, raw)


@given(mobiles)
def test_every_mobile_passes_and_message_never_has_it(number: str) -> None:
    assert pii.validate_phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number
    err = _error(number[:-1], pii.validate_phone)
    _assert_no_number(err, number[:-1])


# --------------------------------------------------------------------------- masks


def test_masks() -> None:
    assert pii.mask_id_number("341801199003071235") == "341*************35"
    assert pii.mask_id_number("11010519491231002x") == "110*************2X"
    assert pii.mask_phone("13812345678") == "138******78"
    assert pii.mask_phone("+86 138-1234-5678") == "138******78"
    assert pii.mask_phone("0563-4012345") == "056*-*****45"
    assert pii.mask_phone("010-65529988") == "010-******88"
    assert pii.mask_phone("1234") == "****"  # too short to show anything
    assert pii.mask_name("张三") == "张*"
    assert pii.mask_name("欧阳娜娜") == "欧***"
    assert pii.mask_name("张") == "*"
    assert pii.mask_name("") == ""


def _revealed_tail(masked: str) -> int:
    shown = 0
    for c in reversed(masked):
        if c == "*":
            break
        shown += c.isalnum()
    return shown


@given(id_numbers())
def test_id_mask_never_reveals_the_last_four(number: str) -> None:
    masked = pii.mask_id_number(number)
    assert len(masked) == 18 and masked[:3] == number[:3] and masked[-2:] == number[-2:]
    assert _revealed_tail(masked) <= 2 and number[-4:] not in masked
    assert pii.redact(masked) == masked  # a mask is not mistaken for a number


@given(mobiles)
def test_phone_mask_never_reveals_the_last_four(number: str) -> None:
    masked = pii.mask_phone(number)
    assert len(masked) == 11 and _revealed_tail(masked) <= 2
    assert masked.count("*") == 6 and pii.redact(masked) == masked


@given(st.text(DIGITS + "-", min_size=0, max_size=20))
def test_any_phone_like_mask_shows_at_most_two_trailing(value: str) -> None:
    assert _revealed_tail(pii.mask_phone(value)) <= 2


# --------------------------------------------------------------------------- cipher


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher(secrets.token_bytes(32))


@given(st.text(max_size=200))
def test_round_trip(plain: str) -> None:
    c = PiiCipher(b"k" * 32)
    token = c.encrypt(plain)
    assert token.startswith("v1.") and "=" not in token
    assert c.decrypt(token) == plain


def test_tokens_differ_and_hide_the_value(cipher: PiiCipher) -> None:
    tokens = {cipher.encrypt(SPECIMEN) for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        assert SPECIMEN not in token and cipher.decrypt(token) == SPECIMEN
        body = token.removeprefix("v1.")
        assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) == 12 + 18 + 16


def test_tampered_or_foreign_tokens_are_undecryptable(cipher: PiiCipher) -> None:
    token = cipher.encrypt("13800138000")
    body = token[3:]
    tampered = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "v1." + ("A" if body[0] != "A" else "B") + body[1:],
        "v1." + body[:20] + ("A" if body[20] != "A" else "B") + body[21:],
        "v2." + body, body, "v1.", "v1.%%%%", "v1." + body[:10], "", "plain text",
    ]
    for bad in tampered:
        with pytest.raises(Invalid) as info:
            cipher.decrypt(bad)
        assert info.value.code == "pii.undecryptable"
    with pytest.raises(Invalid) as info:
        PiiCipher(secrets.token_bytes(32)).decrypt(token)
    assert info.value.code == "pii.undecryptable"


def test_context_binds_a_token_to_its_column(cipher: PiiCipher) -> None:
    token = cipher.encrypt(SPECIMEN, context="intake.applicant.id_number")
    assert cipher.decrypt(token, context="intake.applicant.id_number") == SPECIMEN
    for other in ("", "intake.agent.id_number"):
        with pytest.raises(Invalid, match="cannot be decrypted"):
            cipher.decrypt(token, context=other)


def test_blind_index(cipher: PiiCipher) -> None:
    a = cipher.blind_index("id_number", SPECIMEN)
    assert len(a) == 64 and int(a, 16) >= 0
    assert a == cipher.blind_index("id_number", SPECIMEN)
    assert a == cipher.blind_index("id_number", "110105 19491231 002x")  # normalised
    assert a != cipher.blind_index("id_number", SPECIMEN[:17] + "1")
    assert a != cipher.blind_index("name", SPECIMEN)  # another kind
    assert a != PiiCipher(secrets.token_bytes(32)).blind_index("id_number", SPECIMEN)  # another key
    phone = cipher.blind_index("phone", "13800138000")
    assert phone == cipher.blind_index("phone", "+86 138-0013-8000")
    assert phone != cipher.blind_index("mobile", "13800138000")
    assert cipher.blind_index("name", " 张三 ") == cipher.blind_index("name", "张三")
    with pytest.raises(ValueError):
        cipher.blind_index("a:b", "c")
    with pytest.raises(ValueError):
        cipher.blind_index("", "c")


def test_index_key_is_not_the_encryption_key() -> None:
    key = secrets.token_bytes(32)
    c = PiiCipher(key)
    import hashlib
    import hmac
    message = f"id_number:{SPECIMEN}".encode()
    assert c.blind_index("id_number", SPECIMEN) != hmac.new(key, message, hashlib.sha256).hexdigest()


def test_cipher_hides_its_keys_and_checks_length() -> None:
    key = secrets.token_bytes(32)
    c = PiiCipher(key)
    assert repr(c) == "PiiCipher(<keys hidden>)" and key.hex() not in repr(c)
    with pytest.raises(PiiKeyError):
        PiiCipher(b"short")


# --------------------------------------------------------------------------- settings


def _settings(**kwargs: object) -> Settings:
    kwargs.setdefault("pii_key", None)
    return Settings(_env_file=None, **kwargs)  # type: ignore[call-arg, arg-type]


def _b64key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_development_derives_a_key_from_the_secret_key() -> None:
    dev = PiiCipher.from_settings(_settings(environment="development"))
    assert dev is PiiCipher.from_settings(_settings(environment="test"))  # cached, same secret
    assert dev.decrypt(dev.encrypt("13800138000")) == "13800138000"
    other = PiiCipher.from_settings(_settings(environment="development", secret_key="x" * 48))
    assert other is not dev
    assert other.blind_index("phone", "13800138000") != dev.blind_index("phone", "13800138000")
    assert PiiCipher.from_settings(_settings(pii_key="  ")) is dev  # empty = unset


def test_configured_key_is_used_and_cached() -> None:
    key = _b64key()
    one = PiiCipher.from_settings(_settings(environment="production", pii_key=key))
    assert one is PiiCipher.from_settings(_settings(environment="development", pii_key=key))
    urlsafe = base64.urlsafe_b64encode(base64.b64decode(key)).decode().rstrip("=")
    assert PiiCipher.from_settings(_settings(pii_key=urlsafe)) is one
    assert one is not PiiCipher.from_settings(_settings())


def test_production_without_a_key_refuses() -> None:
    with pytest.raises(PiiKeyError, match="ZHENGWU_PII_KEY must be set in production"):
        PiiCipher.from_settings(_settings(environment="production"))


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"x" * 16).decode(),
                                 base64.b64encode(b"x" * 33).decode()])
def test_a_bad_key_refuses_and_is_not_echoed(bad: str) -> None:
    with pytest.raises(PiiKeyError, match="ZHENGWU_PII_KEY") as info:
        PiiCipher.from_settings(_settings(pii_key=bad))
    assert bad not in str(info.value)


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = _b64key()
    monkeypatch.setenv("ZHENGWU_PII_KEY", key)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.pii_key is not None and s.pii_key.get_secret_value() == key
    assert key not in repr(s)


def test_create_app_refuses_production_without_a_key() -> None:
    from zhengwu.app import create_app

    secret = secrets.token_urlsafe(48)
    with pytest.raises(PiiKeyError, match="ZHENGWU_PII_KEY"):
        create_app(_settings(environment="production", secret_key=secret), entry_points=False)
    with pytest.raises(PiiKeyError, match="ZHENGWU_PII_KEY"):
        create_app(_settings(pii_key="short"), entry_points=False)


# --------------------------------------------------------------------------- logs

PHONE = "13812345678"
LINE = f"applicant {SPECIMEN} phone {PHONE} via +86 138-1234-5678, 身份证{SPECIMEN}号"


def _assert_clean(text: str) -> None:
    assert SPECIMEN not in text and PHONE not in text and "1234-5678" not in text
    assert "002X" not in text and "5678" not in text  # not even the lookup's last four


@pytest.fixture
def pii_logging() -> Iterator[None]:
    """Install the filter for one test and put logging back as it was."""
    factory = logging.getLogRecordFactory()
    filterers: list[logging.Filterer] = [logging.getLogger("zhengwu"), *logging.getLogger().handlers]
    filterers += [h for lg in logging.Logger.manager.loggerDict.values()
                  if isinstance(lg, logging.Logger) for h in lg.handlers]
    before = {id(f): list(f.filters) for f in filterers}
    pii.install_log_filter()
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        for f in filterers:
            f.filters[:] = before[id(f)]


def test_redact() -> None:
    out = pii.redact(LINE)
    _assert_clean(out)
    assert out == ("applicant 110*************2X phone 138******78 via 138******78, "
                   "身份证110*************2X号")
    assert pii.redact("ts 1730000000000 id 12345678901234567890 n 12345") == \
        "ts 1730000000000 id 12345678901234567890 n 12345"  # longer digit runs are left alone
    assert pii.redact("110105 19491231 002X") == "110*************2X"


@pytest.mark.usefixtures("pii_logging")
def test_caplog_sees_masked_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("zhengwu.plugins.intake.service").info("applicant %s phone %s", SPECIMEN, PHONE)
    logging.getLogger("thirdparty.lib").warning(LINE)
    logging.getLogger("zhengwu").info("id=%(id)s", {"id": SPECIMEN.lower()})
    _assert_clean(caplog.text)
    assert "110*************2X" in caplog.text and "138******78" in caplog.text
    for record in caplog.records:
        _assert_clean(record.getMessage())
        assert not record.args


@pytest.mark.usefixtures("pii_logging")
def test_clean_records_keep_their_args(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("zhengwu.x").info("case %s accepted in %d days", "A-1", 3)
    assert caplog.records[0].args == ("A-1", 3)


def test_a_real_handler_added_after_install(pii_logging: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("elsewhere.after_install")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("applicant %s phone %s", SPECIMEN, PHONE)
        try:
            raise ValueError(f"bad applicant {SPECIMEN} / {PHONE}")
        except ValueError:
            logger.exception("failed for %s", PHONE)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    out = stream.getvalue()
    _assert_clean(out)
    assert "WARNING elsewhere.after_install applicant 110*************2X phone 138******78" in out
    assert "ValueError: bad applicant 110*************2X / 138******78" in out
    assert "Traceback" in out


def test_a_root_handler_filters_records_built_without_the_factory() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    factory = logging.getLogRecordFactory()
    try:
        pii.install_log_filter()
        assert any(isinstance(f, pii.PiiLogFilter) for f in handler.filters)
        # a record from another process (e.g. a QueueHandler/SocketHandler) bypasses the factory
        record = logging.makeLogRecord({"name": "remote", "levelno": logging.INFO, "levelname": "INFO",
                                        "msg": "remote %s", "args": (LINE,)})
        handler.handle(record)
    finally:
        root.removeHandler(handler)
        logging.setLogRecordFactory(factory)
        zhengwu_logger = logging.getLogger("zhengwu")
        zhengwu_logger.filters[:] = [f for f in zhengwu_logger.filters if not isinstance(f, pii.PiiLogFilter)]
        for h in root.handlers:
            h.filters[:] = [f for f in h.filters if not isinstance(f, pii.PiiLogFilter)]
    _assert_clean(stream.getvalue())
    assert "110*************2X" in stream.getvalue()


@pytest.mark.usefixtures("pii_logging")
def test_install_is_idempotent() -> None:
    factory = logging.getLogRecordFactory()
    pii.install_log_filter()
    pii.install_log_filter()
    assert logging.getLogRecordFactory() is factory
    assert sum(isinstance(f, pii.PiiLogFilter) for f in logging.getLogger("zhengwu").filters) == 1
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, pii.PiiLogFilter) for f in handler.filters) == 1


def test_filter_cleans_a_record_whose_format_is_broken() -> None:
    record = logging.makeLogRecord({"msg": "id %d and %s", "args": (SPECIMEN, PHONE)})
    assert pii.PiiLogFilter().filter(record) is True
    _assert_clean(str(record.msg) + str(record.args))
    mapping = logging.makeLogRecord({"msg": "%(a)d", "args": ({"a": PHONE},)})
    pii.PiiLogFilter().filter(mapping)
    _assert_clean(str(mapping.args))


def test_filter_cleans_exc_text_and_stack() -> None:
    record = logging.makeLogRecord({"msg": "boom", "exc_text": f"ValueError: {SPECIMEN}",
                                    "stack_info": f"Stack: phone={PHONE}"})
    pii.PiiLogFilter().filter(record)
    _assert_clean(str(record.exc_text) + str(record.stack_info))
    assert logging.Formatter().format(record).endswith("Stack: phone=138******78")
