"""Time-ordered UUIDs (version 7, RFC 9562) for primary keys.

Python 3.11 has no ``uuid.uuid7``; this is the RFC layout: 48 bits of Unix milliseconds,
then random bits, so keys sort by creation time and index pages fill in order.
"""

from __future__ import annotations

import os
import time
import uuid

__all__ = ["uuid7"]


def uuid7() -> uuid.UUID:
    """A new version-7 UUID."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
