"""The audit trail: an append-only, hash-chained record of every change.

Each entry stores who did what to which record at which tenant, with before/after
snapshots, and the SHA-256 of its own content chained to the previous entry's hash. One
chain per province (chain key = first path segment, ``platform`` for the root) so appends
in one province never wait on another, and the trail can be distributed by province later.
``audit_heads`` holds each chain's last sequence number and hash: appends lock that row
(serialising the chain), and verification compares against it, so a removed *last* entry
is detected too.

``verify()`` recomputes every chain and names the first broken link: an edited entry (its
hash no longer matches its content), a removed one (a gap in the sequence or a
``prev_hash`` that points nowhere), or a reordered one.

This module never updates or deletes an entry; on PostgreSQL a trigger forbids it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core import clock
from zhengwu.core.db import ALL_SCOPE, Base, TenantOwned
from zhengwu.core.security.principal import Principal

__all__ = ["AuditEntry", "AuditHead", "ChainBreak", "record", "verify"]

GENESIS = "0" * 64


class AuditEntry(Base, TenantOwned):
    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    chain: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest link of each chain. Holds only hashes, so it needs no tenant scope."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


def chain_of(path: str) -> str:
    if not path or path == ALL_SCOPE or path == "0":
        return "platform"
    return path.split("/", 1)[0]


def _canonical(value: Any) -> Any:
    """JSON-safe, stable form of a snapshot (UUIDs and datetimes as strings)."""
    return json.loads(json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _utc_text(at: datetime) -> str:
    """The same text for a datetime whether the backend kept its offset (PG) or not (SQLite)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "chain": entry.chain,
        "seq": entry.seq,
        "at": _utc_text(entry.at),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor": entry.actor,
        "tenant_id": str(entry.tenant_id),
        "tenant_path": entry.tenant_path,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "before": entry.before,
        "after": entry.after,
    }


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    *,
    tenant_id: uuid.UUID,
    tenant_path: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    chain = chain_of(tenant_path)
    head = await session.get(AuditHead, chain, with_for_update=True)
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
    at = clock.now()
    # Microsecond precision survives both backends, so the hash is reproducible.
    entry = AuditEntry(
        chain=chain, seq=head.seq + 1, at=at, actor_id=actor.user_id, actor=actor.username,
        tenant_id=tenant_id, tenant_path=tenant_path, action=action,
        target_type=target_type, target_id=str(target_id),
        before=_canonical(before) if before is not None else None,
        after=_canonical(after) if after is not None else None,
        prev_hash=head.hash, hash="",
    )
    entry.hash = _digest(entry.prev_hash, _fields(entry))
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link of a chain."""

    chain: str
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry #{self.entry_id}" if self.entry_id is not None else "end of chain"
        return f"chain {self.chain}: {where} (seq {self.seq}): {self.reason}"


async def _entries(session: AsyncSession, chain: str) -> AsyncIterator[AuditEntry]:
    stmt = (select(AuditEntry).where(AuditEntry.chain == chain)
            .order_by(AuditEntry.id).execution_options(yield_per=2000))
    result = await session.stream_scalars(stmt)
    async for entry in result:
        yield entry


async def verify(session: AsyncSession) -> tuple[int, list[ChainBreak]]:
    """Check every chain; return the number of entries checked and the first break per chain.

    Entries are read in insertion order (``id``): a reordered entry shows as a sequence or
    ``prev_hash`` mismatch, an edited one as a hash mismatch, a removed one as a gap; the
    head row catches removal of the last entries.
    """
    heads = {h.chain: h for h in (await session.scalars(select(AuditHead))).all()}
    chains = set(heads) | set((await session.scalars(select(AuditEntry.chain).distinct())).all())
    checked = 0
    breaks: list[ChainBreak] = []
    for chain in sorted(chains):
        prev_hash, expected_seq, broken = GENESIS, 1, None
        async for entry in _entries(session, chain):
            checked += 1
            if broken:
                continue
            if entry.seq != expected_seq:
                what = "missing" if entry.seq > expected_seq else "out of order or duplicated"
                broken = ChainBreak(chain, expected_seq, entry.id,
                                    f"expected seq {expected_seq}, found {entry.seq} "
                                    f"(entries {what})")
            elif entry.prev_hash != prev_hash:
                broken = ChainBreak(chain, entry.seq, entry.id,
                                    "prev_hash does not match the previous entry "
                                    "(an entry before it was removed, edited or reordered)")
            elif _digest(entry.prev_hash, _fields(entry)) != entry.hash:
                broken = ChainBreak(chain, entry.seq, entry.id,
                                    "content does not match its hash (entry was edited)")
            prev_hash, expected_seq = entry.hash, entry.seq + 1
        head = heads.get(chain)
        if broken is None and head is not None and (head.seq != expected_seq - 1
                                                    or head.hash != prev_hash):
            broken = ChainBreak(chain, head.seq, None,
                                f"chain ends at seq {expected_seq - 1} but the head records "
                                f"seq {head.seq} (entries at the end were removed or edited)")
        if broken:
            breaks.append(broken)
    return checked, breaks
