"""The audit trail: every change recorded, and any tampering detected by verify()."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from tests.cli import invoke_cli
from zhengwu.core import audit
from zhengwu.core.audit import AuditEntry
from zhengwu.core.security.principal import Principal

SYSTEM = Principal.system("tester")


async def _write(session, n: int, path: str = "34/3418") -> list[int]:
    ids = []
    for i in range(n):
        e = await audit.record(session, SYSTEM, "thing.change", tenant_id=uuid.uuid4(),
                               tenant_path=path, target_type="thing", target_id=i,
                               before={"v": i}, after={"v": i + 1, "名称": "宣城"})
        ids.append(e.id)
    await session.commit()
    return ids


async def _tamper(owner_engine, sql: str, **params) -> None:
    """Tamper as someone with direct database access would (bypassing the trigger on PG)."""
    async with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            await conn.execute(text("SET LOCAL row_security = off"))
        await conn.execute(text(sql), params)
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


async def test_intact_chains_verify(system_session):
    await _write(system_session, 5)
    await _write(system_session, 3, path="15/1525")
    checked, breaks = await audit.verify(system_session)
    assert checked == 8 and breaks == []
    chains = set((await system_session.scalars(select(AuditEntry.chain))).all())
    assert chains == {"34", "15"}


async def test_edited_entry_is_named(system_session, owner_engine):
    ids = await _write(system_session, 5)
    await _tamper(owner_engine, "UPDATE audit_log SET actor = 'someone-else' WHERE id = :id", id=ids[2])
    _, breaks = await audit.verify(system_session)
    assert len(breaks) == 1
    assert breaks[0].entry_id == ids[2] and breaks[0].seq == 3
    assert "edited" in breaks[0].reason


async def test_removed_entry_is_named(system_session, owner_engine):
    ids = await _write(system_session, 5)
    await _tamper(owner_engine, "DELETE FROM audit_log WHERE id = :id", id=ids[1])
    _, breaks = await audit.verify(system_session)
    assert len(breaks) == 1 and breaks[0].seq == 2 and breaks[0].entry_id == ids[2]
    assert "missing" in breaks[0].reason


async def test_removed_last_entry_is_detected(system_session, owner_engine):
    ids = await _write(system_session, 4)
    await _tamper(owner_engine, "DELETE FROM audit_log WHERE id = :id", id=ids[-1])
    _, breaks = await audit.verify(system_session)
    assert len(breaks) == 1 and breaks[0].entry_id is None and "removed" in breaks[0].reason


async def test_reordered_entries_are_detected(system_session, owner_engine):
    ids = await _write(system_session, 4)
    # Swap the content of two entries, seq numbers included: order by id now disagrees.
    await _tamper(owner_engine, "UPDATE audit_log SET seq = -seq WHERE id IN (:a, :b)", a=ids[1], b=ids[2])
    await _tamper(owner_engine, "UPDATE audit_log SET seq = 3 WHERE id = :a", a=ids[1])
    await _tamper(owner_engine, "UPDATE audit_log SET seq = 2 WHERE id = :b", b=ids[2])
    _, breaks = await audit.verify(system_session)
    assert len(breaks) == 1 and breaks[0].entry_id == ids[1]


@pytest.mark.pg_only
async def test_audit_log_is_append_only_for_the_app(sessionmaker, settings):
    async with sessionmaker() as session:
        session.info["scope"] = "*"
        ids = await _write(session, 1)
        with pytest.raises(Exception, match=r"permission denied|append-only"):
            await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[0]})
        await session.rollback()
        with pytest.raises(Exception, match=r"permission denied|append-only"):
            await session.execute(text("UPDATE audit_log SET actor = 'x' WHERE id = :id"), {"id": ids[0]})
        await session.rollback()


async def test_cli_verify_reports_break(system_session, owner_engine, settings, monkeypatch):
    ids = await _write(system_session, 3)
    result = await invoke_cli(monkeypatch, settings, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "3 entries checked" in result.output
    await _tamper(owner_engine, "UPDATE audit_log SET after = NULL WHERE id = :id", id=ids[0])
    result = await invoke_cli(monkeypatch, settings, "audit", "verify")
    assert result.exit_code == 1
    assert f"entry #{ids[0]}" in result.output
