"""Passwords: the strength policy and argon2id hashing, verified off the event loop.

What this module holds:

* ``check_password_policy`` — the rules a new password must meet (length from
  ``Settings.password_min_length``; a mix of at least three of lower/upper/digits/symbols
  unless it is 16 characters or longer; not the username, not containing it; not a common
  password, also not one with digits or symbols tacked on; at least five different
  characters). A failure is
  ``Invalid("user.weak_password", field="password")`` with ``reason`` naming the rule.
* ``hash_password`` / ``verify_password`` — argon2id (argon2-cffi). Both run in a worker
  thread (``asyncio.to_thread``): a production-cost hash takes ~100 ms of CPU and would
  otherwise stall every request on the loop.
* ``verify_dummy`` — burns the same time as a real verification, so "no such user" and
  "wrong password" cannot be told apart by timing.
* ``configure_hasher`` / ``use_fast_parameters`` — tests (and only tests) switch to cheap
  parameters; ``ZHENGWU_ARGON2_FAST=1`` does the same from the environment. Production keeps
  argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).

It must never log, return or store a plain password, and never hash on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from zhengwu.core.errors import Invalid

__all__ = [
    "COMMON_PASSWORDS",
    "check_password_policy",
    "configure_hasher",
    "hash_password",
    "hasher",
    "needs_rehash",
    "use_fast_parameters",
    "verify_dummy",
    "verify_password",
]

LONG_PASSPHRASE = 16
"""From this length on, a password need not mix character classes (a passphrase)."""
MIN_DISTINCT = 5
"""Fewest different characters a password may use (refuses ``aaaaaaaaaaaaaaaa``)."""

COMMON_PASSWORDS: frozenset[str] = frozenset({
    "123456", "1234567", "12345678", "123456789", "1234567890", "12345678910", "0123456789",
    "111111", "000000", "666666", "888888", "88888888", "11111111", "00000000", "123123",
    "123123123", "123321", "654321", "987654321", "147258369", "112233", "121212",
    "password", "passw0rd", "p@ssw0rd", "p@ssword", "password1", "password!", "qwerty",
    "qwertyuiop", "qwerty123", "qwe123", "asdfghjkl", "zxcvbnm", "1qaz2wsx", "1q2w3e4r",
    "1q2w3e4r5t", "qazwsx", "qazwsxedc", "abc123", "abcd1234", "a123456", "a12345678",
    "a123456789", "aa123456", "iloveyou", "woaini", "woaini1314", "5201314", "1314520",
    "admin", "admin123", "administrator", "root", "toor", "welcome", "letmein", "monkey",
    "dragon", "master", "sunshine", "princess", "football", "baseball", "superman",
    "trustno1", "changeme", "default", "secret", "test", "test123", "guest", "user",
    "zhengwu", "zhengfu", "zhengwufuwu", "gov", "gov.cn", "china", "beijing", "shanghai",
    "zhongguo", "huawei", "abcdefg", "abcdefgh", "aaaaaa", "qq123456", "wang123456",
    "zhang123456", "li123456",
})
"""Lower-cased passwords refused outright (also with digits/symbols appended)."""

_SYMBOLS = set(string.punctuation) | {" "}
_FAST_PARAMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

hasher: PasswordHasher = PasswordHasher()
"""The process-wide hasher. Replace it with ``configure_hasher``, never per call."""
_dummy_hash: str | None = None


def configure_hasher(time_cost: int | None = None, memory_cost: int | None = None,
                     parallelism: int | None = None) -> PasswordHasher:
    """Install a hasher with the given argon2 parameters (``None``: argon2-cffi's default).

    Existing hashes keep verifying (the parameters are stored in each hash); a successful
    login rehashes a password whose parameters differ (``needs_rehash``).
    """
    global hasher, _dummy_hash
    defaults = PasswordHasher()
    hasher = PasswordHasher(
        time_cost=time_cost if time_cost is not None else defaults.time_cost,
        memory_cost=memory_cost if memory_cost is not None else defaults.memory_cost,
        parallelism=parallelism if parallelism is not None else defaults.parallelism,
    )
    _dummy_hash = None
    return hasher


def use_fast_parameters() -> PasswordHasher:
    """Cheap parameters for tests and benchmarks (microseconds per hash). Never in production."""
    return configure_hasher(**_FAST_PARAMS)


if os.environ.get("ZHENGWU_ARGON2_FAST", "").lower() in {"1", "true", "yes"}:
    use_fast_parameters()


def _classes(password: str) -> int:
    return sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in _SYMBOLS or not c.isalnum() for c in password),
    ))


def _weak(reason: str, zh: str, en: str) -> Invalid:
    return Invalid("user.weak_password", zh, en, field="password", reason=reason)


def _is_common(password: str) -> bool:
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return True
    # "Password123!" is still "password": strip trailing digits and symbols, then leading ones.
    stripped = lowered.rstrip(string.digits + string.punctuation + " ")
    stripped = stripped.lstrip(string.digits + string.punctuation + " ")
    return bool(stripped) and stripped in COMMON_PASSWORDS


def check_password_policy(password: str, *, username: str = "", min_length: int = 10) -> None:
    """Raise ``Invalid("user.weak_password")`` unless ``password`` meets the policy.

    ``params["reason"]`` names the rule: ``too_short``, ``too_simple``, ``contains_username``
    or ``common``.
    """
    if len(password) < min_length:
        raise _weak("too_short", f"密码至少需要 {min_length} 个字符",
                    f"the password must have at least {min_length} characters")
    if len(set(password)) < MIN_DISTINCT:
        raise _weak("too_simple", f"密码至少需要 {MIN_DISTINCT} 个不同的字符",
                    f"the password must use at least {MIN_DISTINCT} different characters")
    name = username.strip().lower()
    if name and (password.lower() == name or (len(name) >= 3 and name in password.lower())):
        raise _weak("contains_username", "密码不能与用户名相同，也不能包含用户名",
                    "the password must not equal or contain the username")
    if _is_common(password):
        raise _weak("common", "密码过于常见，请换一个不易猜到的密码",
                    "the password is too common; choose one that is hard to guess")
    if len(password) < LONG_PASSPHRASE and _classes(password) < 3:
        raise _weak("too_simple",
                    "密码需包含小写字母、大写字母、数字、符号中的至少三类，"
                    f"或长度不少于 {LONG_PASSPHRASE} 个字符",
                    "the password must mix at least three of lower case, upper case, digits "
                    f"and symbols, or be at least {LONG_PASSPHRASE} characters long")


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (computed in a worker thread)."""
    return await asyncio.to_thread(hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (in a worker thread; never raises).

    A missing hash (a service account without a password) verifies against the dummy hash,
    so it costs the same time and answers False.
    """
    if not password_hash:
        await verify_dummy(password)
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


async def verify_dummy(password: str) -> None:
    """Spend the time of one verification and discard the result (unknown users)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = await asyncio.to_thread(hasher.hash, "zhengwu-dummy-password-for-timing")
    await asyncio.to_thread(_verify, _dummy_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current hasher's."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
