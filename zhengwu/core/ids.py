"""Time-ordered UUIDs (version 7, RFC 9562) for primary keys.

Python 3.11 has no ``uuid.uuid7``; this is the RFC layout: 48 bits of Unix milliseconds, a
12-bit counter (``rand_a``, RFC 9562 §6.2 method 1), then 62 random bits. Keys sort by creation
time and index pages fill in order; within one process they are strictly increasing even inside
one millisecond (the counter starts at a random value below 2048 each new millisecond and
counts up; on overflow the timestamp moves on by one), so rows made in one transaction — the
steps of a history under a frozen clock, say — keep their order when sorted by id.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

__all__ = ["uuid7"]

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """A new version-7 UUID, greater than every one this process made before."""
    global _last_ms, _counter
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(8), "big")
    with _lock:
        if ms > _last_ms:
            _last_ms, _counter = ms, (rand >> 53) & 0x7FF
        else:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
