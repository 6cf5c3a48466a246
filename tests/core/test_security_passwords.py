"""Passwords: the strength policy, argon2id hashing and verification off the event loop."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from tests.core.security_support import PASSWORD
from zhengwu.core.errors import Invalid
from zhengwu.core.security import passwords


@pytest.mark.parametrize(("password", "reason"), [
    ("Ab1!xyz", "too_short"),  # below the minimum length
    ("abcdefghijk", "too_simple"),  # one class only
    ("ningguoxx12", "too_simple"),  # two classes only
    ("aaaaaaaaaaaaaaaaaaaa", "too_simple"),  # long but one repeated character
    ("wang.fang-Ningguo1", "contains_username"),
    ("WANG.FANG.2024", "contains_username"),
    ("Password123!", "common"),  # a common word with digits and a symbol tacked on
    ("1qaz2wsx", "too_short"),
    ("qwertyuiop", "common"),
    ("Woaini1314", "common"),
    ("!!Admin123", "common"),
])
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(Invalid) as e:
        passwords.check_password_policy(password, username="wang.fang", min_length=10)
    assert e.value.code == "user.weak_password"
    assert e.value.field == "password"
    assert e.value.params["reason"] == reason
    assert e.value.zh and e.value.en


@pytest.mark.parametrize("password", [
    PASSWORD,
    "Xuancheng#2024",  # three classes
    "fangtang village office rota",  # a passphrase: 16+ characters, one class plus spaces
    "宁国市方塘乡便民服务中心2024",  # non-ASCII counts as symbols
])
def test_strong_passwords_pass(password: str) -> None:
    passwords.check_password_policy(password, username="wang.fang", min_length=10)


def test_min_length_follows_settings() -> None:
    passwords.check_password_policy("Ab1!wxyzq", username="x", min_length=8)
    with pytest.raises(Invalid):
        passwords.check_password_policy("Ab1!wxyzq", username="x", min_length=12)


async def test_hash_and_verify_round_trip() -> None:
    h = await passwords.hash_password(PASSWORD)
    assert h.startswith("$argon2id$") and PASSWORD not in h
    assert await passwords.verify_password(h, PASSWORD)
    assert not await passwords.verify_password(h, PASSWORD + "x")
    assert not await passwords.verify_password("not-a-hash", PASSWORD)
    assert not await passwords.verify_password(None, PASSWORD)
    assert await passwords.hash_password(PASSWORD) != h  # salted


async def test_hashing_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = passwords.hasher

    class Spy(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            seen.append(threading.get_ident())
            return real.hash(password)

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            seen.append(threading.get_ident())
            return real.verify(hash, password)

    monkeypatch.setattr(passwords, "hasher", Spy())
    h = await passwords.hash_password(PASSWORD)
    await passwords.verify_password(h, PASSWORD)
    assert len(seen) == 2 and threading.get_ident() not in seen


async def test_parameters_are_configurable_and_old_hashes_need_rehash() -> None:
    fast = await passwords.hash_password(PASSWORD)
    assert not passwords.needs_rehash(fast)
    try:
        passwords.configure_hasher(time_cost=2, memory_cost=16, parallelism=1)
        assert passwords.needs_rehash(fast)
        assert await passwords.verify_password(fast, PASSWORD)  # old hashes still verify
    finally:
        passwords.use_fast_parameters()
    default = PasswordHasher()
    assert (default.time_cost, default.memory_cost) == (3, 65536)  # production untouched


async def test_dummy_verification_answers_nothing() -> None:
    assert await passwords.verify_dummy("anything") is None
