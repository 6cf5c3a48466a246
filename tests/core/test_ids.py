"""Primary keys are RFC 9562 version-7 UUIDs that strictly increase within a process, even
inside one millisecond (histories recorded under a frozen clock are ordered by id)."""

from __future__ import annotations

import time
import uuid

from zhengwu.core.ids import uuid7


def test_version_variant_and_time():
    before = time.time_ns() // 1_000_000
    u = uuid7()
    after = time.time_ns() // 1_000_000
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert before <= u.int >> 80 <= after + 1


def test_strictly_increasing_within_a_millisecond():
    ids = [uuid7() for _ in range(20_000)]  # thousands share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    stamps = [u.int >> 80 for u in ids]
    assert len(set(stamps)) < len(ids)  # many in one millisecond, still ordered
