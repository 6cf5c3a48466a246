"""Bulk import of divisions: formats, every class of bad row, the diff, batches, resume."""

from __future__ import annotations

import gzip
import io
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.cli import invoke_cli
from tests.conftest import FIXTURES, SHARED_DIVISIONS
from zhengwu.core import audit
from zhengwu.core.errors import Invalid, PermissionDenied
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.tenants import importer, provisioning
from zhengwu.tenants.importer import (
    FileFormat,
    ImportPlan,
    apply_import,
    plan_import,
    read_divisions,
)
from zhengwu.tenants.models import Tenant

SYSTEM = Principal.system("test:import")
ERENHOT = FIXTURES / "divisions-152501.csv"
XUANCHENG = Path(str(resources.files("zhengwu") / "data" / "divisions-3418.csv"))
HEADER = "code,name,tier,parent_code\n"
XUANCHENG_TEXT = XUANCHENG.read_text(encoding="utf-8")


async def _import(session, source, *, under=None, batch_size=20_000, on_progress=None,
                  principal=SYSTEM) -> ImportPlan:
    plan = await plan_import(session, principal, read_divisions(source), under=under)
    await apply_import(session, principal, plan, batch_size=batch_size, on_progress=on_progress)
    return plan


async def _tenant(session, code: str) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.code == code))
    assert tenant is not None, code
    return tenant


async def _count(session) -> int:
    """Divisions in the directory (the platform root not counted)."""
    return await session.scalar(select(func.count()).select_from(Tenant).where(Tenant.code != "0"))


async def _audit_imports(session) -> list[audit.AuditEntry]:
    rows = await session.scalars(select(audit.AuditEntry)
                                 .where(audit.AuditEntry.action == "tenant.import")
                                 .order_by(audit.AuditEntry.id))
    return list(rows.all())


def _cut(path: Path, prefix: str) -> str:
    """The rows of a national-format file at or below ``prefix``, with their ancestors."""
    lines = path.read_text(encoding="utf-8").splitlines()
    keep = [ln for ln in lines[1:]
            if ln.split(",")[0].startswith(prefix) or prefix.startswith(ln.split(",")[0])]
    return HEADER + "\n".join(keep) + "\n"


# ------------------------------------------------------------------------------ good files


async def test_erenhot_cut_gives_townships_villages_and_kinds(system_session):
    plan = await _import(system_session, ERENHOT)
    assert plan.format is FileFormat.NATIONAL and len(plan.added) == 20
    city = await _tenant(system_session, "152501")
    counts = await provisioning.subtree_counts(system_session, city)
    assert counts == {"township": 3, "village": 14}
    sumu = await _tenant(system_session, "152501200")
    gacha = await _tenant(system_session, "152501200201")
    assert (sumu.name, sumu.kind, sumu.tier, sumu.depth) == ("格日勒敖都苏木", "苏木", "township", 4)
    assert (gacha.name, gacha.kind, gacha.tier, gacha.depth) == ("陶力嘎查", "嘎查", "village", 5)
    assert gacha.path == "15/1525/152501/152501200/152501200201"
    assert gacha.parent_id == sumu.id and gacha.status == "active"
    community = await _tenant(system_session, "152501400001")
    assert community.kind == "社区"
    province = await _tenant(system_session, "15")
    root = await _tenant(system_session, "0")
    assert province.parent_id == root.id and province.path == "15" and province.depth == 1
    # ids are time-ordered UUIDs (version 7)
    assert gacha.id.version == 7 and sumu.id.version == 7


async def test_packaged_cut_imports_fully_and_reimport_changes_nothing(system_session):
    plan = await _import(system_session, XUANCHENG)
    assert len(plan.added) == 983 and plan.counts["missing"] == 0
    assert await _count(system_session) == 983
    city = await _tenant(system_session, "3418")
    counts = await provisioning.subtree_counts(system_session, city)
    assert counts == {"county": 8, "township": 107, "village": 866}
    entries = await _audit_imports(system_session)
    assert len(entries) == 1 and entries[0].target_id == "platform"
    assert entries[0].after["added"] == 983
    # Second run: nothing to add, all unchanged, no new audit entry.
    again = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG))
    assert again.counts == {"added": 0, "renamed": 0, "moved": 0, "unchanged": 983,
                            "missing": 0, "duplicates": 0}
    result = await apply_import(system_session, SYSTEM, again)
    assert (result.added, result.batches) == (0, 0)
    assert len(await _audit_imports(system_session)) == 1
    checked, breaks = await audit.verify(system_session)
    assert checked >= 1 and breaks == []


async def test_gzipped_input_is_read(tmp_path, system_session):
    gz = tmp_path / "erenhot.csv.gz"
    gz.write_bytes(gzip.compress(ERENHOT.read_bytes()))
    plan = await _import(system_session, gz)
    assert len(plan.added) == 20


async def test_resumes_after_a_failure_between_batches(system_session):
    progress: list[tuple[int, int]] = []

    def crash_after_first_batch(done: int, total: int) -> None:
        progress.append((done, total))
        raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        await _import(system_session, XUANCHENG, batch_size=100,
                      on_progress=crash_after_first_batch)
    await system_session.rollback()
    assert progress == [(100, 983)]
    assert await _count(system_session) == 100  # the first batch is committed, no more
    # Tier order: the first batch holds the province, the city, the counties and townships.
    tiers = set((await system_session.scalars(select(Tenant.tier).where(Tenant.code != "0"))).all())
    assert tiers == {"province", "city", "county", "township"}

    seen: list[tuple[int, int]] = []
    plan = await _import(system_session, XUANCHENG, batch_size=100,
                         on_progress=lambda done, total: seen.append((done, total)))
    assert plan.counts["unchanged"] == 100 and len(plan.added) == 883
    assert seen[-1] == (883, 883) and len(seen) == 9
    assert await _count(system_session) == 983
    assert len(await _audit_imports(system_session)) == 1 + 9  # one entry per batch
    _checked, breaks = await audit.verify(system_session)
    assert breaks == []


async def test_padded_official_format_with_and_without_header(tmp_path, system_session):
    bare = tmp_path / "anhui.csv"
    bare.write_text("340000000000,安徽省\n341800000000,宣城市\n341881000000,宁国市\n"
                    "341881204000,方塘乡\n341881204201,双村村委会\n", encoding="utf-8")
    parsed = read_divisions(bare)
    assert parsed.format is FileFormat.PADDED
    assert [code for _line, code, _name in parsed.rows] == [
        "34", "3418", "341881", "341881204", "341881204201"]
    await _import(system_session, bare)
    village = await _tenant(system_session, "341881204201")
    assert village.path == "34/3418/341881/341881204/341881204201"
    assert village.kind == "村委会"

    # With a header, and a city without counties (东莞市): the county level is synthesised.
    dongguan = tmp_path / "dongguan.csv"
    dongguan.write_text("代码,名称\n440000000000,广东省\n441900000000,东莞市\n"
                        "441900003000,东城街道\n441900003001,岗贝社区居民委员会\n",
                        encoding="utf-8-sig")
    parsed = read_divisions(dongguan)
    assert parsed.format is FileFormat.PADDED and parsed.synthesised == ("441900",)
    plan = await _import(system_session, dongguan)
    assert plan.synthesised == ("441900",)
    street = await _tenant(system_session, "441900003")
    assert street.path == "44/4419/441900/441900003" and street.kind == "街道"
    county = await _tenant(system_session, "441900")
    assert (county.name, county.tier) == ("东莞市", "county")


async def test_zero_segments_of_the_real_table_are_accepted(tmp_path, system_session):
    """东莞市's county level 441900 and 金门县's township/village 350527000(000) are real."""
    src = tmp_path / "real.csv"
    src.write_text(HEADER + "35,福建省,province,\n3505,泉州市,city,35\n"
                   "350527,金门县,county,3505\n350527000,金门县,township,350527\n"
                   "350527000000,金门县,village,350527000\n", encoding="utf-8")
    await _import(system_session, src)
    assert (await _tenant(system_session, "350527000000")).depth == 5


# ------------------------------------------------------------------------------- bad files


BAD_FILE = HEADER + "\n".join([
    "34,安徽省,province,",  # 2 fine
    "3418,宣城市,city,34",  # 3 fine
    "341881,宁国市,county",  # 4 three columns
    "34x1,坏代码,city,34",  # 5 not digits
    "341,短代码,county,34",  # 6 wrong length
    "341802,宣州区,city,3418",  # 7 tier column disagrees with the code
    "341803,错上级,county,3419",  # 8 parent is not the code's prefix
    "341804001,越级,township,34",  # 9 parent is a prefix but not the tier right above
    "342001,无上级,county,3420",  # 10 parent in neither the file nor the database
    "3418,宣城市,city,34",  # 11 harmless duplicate: skipped
    "34,安徽,province,",  # 12 same code, another name
    "341806,,county,3418",  # 13 empty name
    "341802001,西林街道,township,341802",  # 14 parent is bad itself: no cascade
    "3400,零段,city,34",  # 15 city digits 00
]) + "\n"


async def test_every_bad_row_is_reported_with_its_line_and_nothing_written(tmp_path,
                                                                           system_session):
    src = tmp_path / "bad.csv"
    src.write_text(BAD_FILE, encoding="utf-8")
    parsed = read_divisions(src)
    assert parsed.duplicates == 1
    with pytest.raises(Invalid) as info:
        await plan_import(system_session, SYSTEM, parsed)
    err = info.value
    assert err.code == "import.invalid_rows"
    found = [(p.line, p.code) for p in err.params["problems"]]
    assert found == [
        (4, "import.malformed_row"),
        (5, "import.bad_code"),
        (6, "import.bad_code"),
        (7, "import.tier_mismatch"),
        (8, "import.wrong_parent"),
        (9, "import.wrong_tier_parent"),
        (10, "import.unknown_parent"),
        (12, "import.duplicate_code"),
        (13, "import.empty_name"),
        (15, "import.bad_code"),
    ]
    for p in err.params["problems"]:
        assert p.zh and p.en and p.line
    assert "line 2" in next(p.en for p in err.params["problems"] if p.line == 12)
    assert await _count(system_session) == 0
    assert await system_session.scalar(select(func.count()).select_from(Tenant)) == 0


async def test_bad_rows_outside_under_still_block_the_import(tmp_path, system_session):
    src = tmp_path / "bad.csv"
    src.write_text(_cut(ERENHOT, "152501200") + "99x,坏,province,\n", encoding="utf-8")
    with pytest.raises(Invalid) as info:
        await plan_import(system_session, SYSTEM, read_divisions(src), under="152501200")
    assert [p.code for p in info.value.params["problems"]] == ["import.bad_code"]


async def test_gbk_file_is_detected_and_explained(tmp_path, system_session):
    src = tmp_path / "gbk.csv"
    src.write_bytes((HEADER + "34,安徽省,province,\n3418,宣城市,city,34\n").encode("gbk"))
    with pytest.raises(Invalid) as info:
        read_divisions(src)
    assert info.value.code == "import.encoding_gbk"
    assert "iconv -f GBK -t UTF-8" in info.value.en and "iconv -f GBK -t UTF-8" in info.value.zh
    assert await _count(system_session) == 0


def test_unreadable_layouts_are_refused():
    with pytest.raises(Invalid) as info:
        read_divisions(b"id;title;level\n1;x;y\n", name="odd.csv")
    assert info.value.code == "import.unknown_format"
    with pytest.raises(Invalid) as info:
        read_divisions(b"\n\n", name="empty.csv")
    assert info.value.code == "import.empty_file"
    with pytest.raises(Invalid) as info:
        read_divisions(b"\xff\xfe\x00\x00" * 4, name="binary.csv")
    assert info.value.code in {"import.encoding", "import.encoding_gbk"}


async def test_padded_rows_need_twelve_digits(system_session):
    parsed = read_divisions(io.BytesIO("340000000000,安徽省\n3418,宣城市\n0012,x\n".encode()),
                            name="p.csv")
    assert [(p.line, p.code) for p in parsed.problems] == [(2, "import.bad_code"),
                                                            (3, "import.bad_code")]


# ------------------------------------------------------------------------- the diff, apply


async def test_dry_run_writes_nothing(system_session):
    plan = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG))
    assert len(plan.added) == 983 and plan.added[0][1] == "34"
    assert await system_session.scalar(select(func.count()).select_from(Tenant)) == 0


async def test_rename_shows_in_the_diff_and_is_applied(tmp_path, system_session):
    await _import(system_session, XUANCHENG)
    renamed = XUANCHENG_TEXT.replace(
        "341881204,方塘乡,", "341881204,方塘镇,")
    src = tmp_path / "renamed.csv"
    src.write_text(renamed, encoding="utf-8")
    plan = await plan_import(system_session, SYSTEM, read_divisions(src))
    assert [(r.code, r.old_name, r.new_name) for r in plan.renamed] == [
        ("341881204", "方塘乡", "方塘镇")]
    assert plan.counts["unchanged"] == 982 and not plan.added
    result = await apply_import(system_session, SYSTEM, plan)
    assert result.renamed == 1
    system_session.expire_all()
    town = await _tenant(system_session, "341881204")
    assert (town.name, town.kind) == ("方塘镇", "镇")
    assert (await _audit_imports(system_session))[-1].after["renamed"] == 1


async def test_merged_tenants_show_as_moved_and_are_left_alone(system_session):
    await _import(system_session, XUANCHENG)
    await provisioning.merge_tenant(system_session, SYSTEM, "341881204", "341881100")
    await system_session.commit()
    plan = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG))
    moved = {m.code: m for m in plan.moved}
    villages = set((await system_session.scalars(
        select(Tenant.code).where(Tenant.code.startswith("341881204"), Tenant.tier == "village"))).all())
    assert set(moved) == villages and villages
    some = next(iter(villages))
    assert moved[some].file_parent == "341881204"
    assert moved[some].db_path == f"34/3418/341881/341881100/{some}"
    result = await apply_import(system_session, SYSTEM, plan)
    assert result.left_alone == len(villages) and result.added == 0
    system_session.expire_all()
    village = await _tenant(system_session, some)
    assert village.path.startswith("34/3418/341881/341881100/")  # not moved back
    source = await _tenant(system_session, "341881204")
    assert source.status == "merged"


async def test_no_new_children_under_a_merged_parent(tmp_path, system_session):
    await _import(system_session, XUANCHENG)
    await provisioning.merge_tenant(system_session, SYSTEM, "341881204", "341881100")
    await system_session.commit()
    src = tmp_path / "new.csv"
    src.write_text(XUANCHENG_TEXT
                   + "341881204999,新村村委会,village,341881204\n", encoding="utf-8")
    with pytest.raises(Invalid) as info:
        await plan_import(system_session, SYSTEM, read_divisions(src))
    [problem] = info.value.params["problems"]
    assert (problem.line, problem.code) == (985, "import.parent_inactive")


async def test_missing_tenants_are_reported_and_kept(system_session):
    await _import(system_session, XUANCHENG)
    await provisioning.create_tenant(system_session, SYSTEM, "341881299", "新设乡")
    await system_session.commit()
    plan = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG))
    assert [(m.code, m.path) for m in plan.missing] == [("341881299", "34/3418/341881/341881299")]
    await apply_import(system_session, SYSTEM, plan)
    assert await _tenant(system_session, "341881299")
    narrowed = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG),
                                 under="341802")
    assert narrowed.missing == []


async def test_under_limits_the_subtree_and_brings_missing_ancestors(tmp_path, system_session):
    plan = await _import(system_session, XUANCHENG, under="341881")
    county_rows = [c for _l, c, _n, _p in plan.added if c.startswith("341881")]
    assert [c for _l, c, _n, _p in plan.added if not c.startswith("341881")] == ["34", "3418"]
    assert await _count(system_session) == 2 + len(county_rows)
    assert plan.scope_path == "34/3418/341881"
    [entry] = await _audit_imports(system_session)
    assert (entry.target_id, entry.tenant_path) == ("341881", "34/3418/341881")

    # A narrowed import never renames an ancestor already in the database.
    renamed = XUANCHENG_TEXT.replace("34,安徽省,", "34,安徽,")
    src = tmp_path / "renamed.csv"
    src.write_text(renamed, encoding="utf-8")
    plan = await _import(system_session, src, under="341802")
    assert plan.renamed == [] and all(c.startswith("341802") for _l, c, _n, _p in plan.added)
    assert (await _tenant(system_session, "34")).name == "安徽省"
    # Padded or GB/T forms of the code work too.
    again = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG),
                              under="341802000000")
    assert again.under == "341802" and not again.added


async def test_under_needs_its_ancestors_and_rows(tmp_path, system_session):
    village_only = tmp_path / "v.csv"
    village_only.write_text(HEADER + "341881204201,双村村委会,village,341881204\n",
                            encoding="utf-8")
    with pytest.raises(Invalid) as info:
        await plan_import(system_session, SYSTEM, read_divisions(village_only),
                          under="341881204201")
    assert [p.code for p in info.value.params["problems"]] == ["import.unknown_parent"]
    with pytest.raises(Invalid) as info:
        await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG), under="1525")
    assert info.value.code == "import.under_not_found"


async def test_permission_is_checked_at_the_subtree(system_session):
    await _import(system_session, XUANCHENG, under="3418")
    province = Principal(None, "prov", None, "34", None, "34", "province",
                         (GrantRef("province_admin", "34"),))
    county = Principal(None, "county", None, "34/3418/341881", None, "34/3418/341881", "county",
                       (GrantRef("county_admin", "34/3418/341881"),))
    plan = await plan_import(system_session, province, read_divisions(XUANCHENG), under="3418")
    assert plan.counts["unchanged"] == 982
    with pytest.raises(PermissionDenied):
        await plan_import(system_session, province, read_divisions(ERENHOT), under="152501")
    with pytest.raises(PermissionDenied):
        await plan_import(system_session, province, read_divisions(XUANCHENG))  # whole tree
    with pytest.raises(PermissionDenied):  # county admins may not import
        await plan_import(system_session, county, read_divisions(XUANCHENG), under="341881")


@pytest.mark.pg_only
async def test_copy_runs_as_the_application_role(system_session):
    """On PostgreSQL the import writes through the RLS-bound app role, not the owner."""
    assert await system_session.scalar(text("SELECT current_user")) == "zhengwu_app"
    await system_session.rollback()
    await _import(system_session, ERENHOT)
    assert await _count(system_session) == 20


_CATALOG = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'tenants'::regclass OR confrelid = 'tenants'::regclass
UNION ALL SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
 WHERE indrelid = 'tenants'::regclass
UNION ALL SELECT 'default ' || a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
  JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE d.adrelid = 'tenants'::regclass
ORDER BY 1, 2
"""


@pytest.mark.pg_only
async def test_bulk_first_load_on_postgres(system_session, owner_engine, monkeypatch):
    """An empty directory, the owner's engine: one transaction, indexes rebuilt as they were."""
    monkeypatch.setattr(importer, "BULK_MIN_ROWS", 10)
    async with owner_engine.connect() as conn:
        before = (await conn.execute(text(_CATALOG))).all()
    progress: list[tuple[int, int]] = []
    plan = await plan_import(system_session, SYSTEM, read_divisions(XUANCHENG))
    result = await apply_import(system_session, SYSTEM, plan, batch_size=300, owner=owner_engine,
                                on_progress=lambda done, total: progress.append((done, total)))
    assert (result.added, result.batches) == (983, 1)
    assert progress == [(300, 983), (600, 983), (900, 983), (983, 983)]
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text(_CATALOG))).all() == before
    assert await _count(system_session) == 983
    village = await _tenant(system_session, "341881204201")
    town = await _tenant(system_session, "341881204")
    assert village.parent_id == town.id and village.kind == "村委会"
    assert village.created_at == village.updated_at and village.created_at is not None
    [entry] = await _audit_imports(system_session)
    assert entry.after["mode"] == "bulk" and entry.after["added"] == 983
    _checked, breaks = await audit.verify(system_session)
    assert breaks == []
    await system_session.commit()
    # Not empty any more: the same call falls back to committed batches.
    plan = await plan_import(system_session, SYSTEM, read_divisions(ERENHOT))
    result = await apply_import(system_session, SYSTEM, plan, owner=owner_engine)
    assert result.added == 20
    assert [e.after["mode"] for e in await _audit_imports(system_session)] == ["bulk", "batches"]


# ------------------------------------------------------------------------------------- CLI


async def test_cli_dry_run_then_apply(settings, system_session, monkeypatch):
    dry = await invoke_cli(monkeypatch, settings, "tenants", "import", str(ERENHOT), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "added" in dry.output and "20" in dry.output and "dry run" in dry.output
    assert await _count(system_session) == 0
    await system_session.rollback()  # a fresh snapshot after the CLI's own transactions
    applied = await invoke_cli(monkeypatch, settings, "tenants", "import", str(ERENHOT),
                               "--under", "152501")
    assert applied.exit_code == 0, applied.output
    assert "done" in applied.output
    assert await _count(system_session) == 20


async def test_cli_lists_bad_rows_and_exits_1(tmp_path, settings, system_session, monkeypatch):
    src = tmp_path / "bad.csv"
    src.write_text(BAD_FILE, encoding="utf-8")
    result = await invoke_cli(monkeypatch, settings, "tenants", "import", str(src))
    assert result.exit_code == 1
    for code in ("import.malformed_row", "import.wrong_tier_parent", "import.empty_name"):
        assert code in result.output
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "34,安徽省,province,\n").encode("gbk"))
    result = await invoke_cli(monkeypatch, settings, "tenants", "import", str(gbk))
    assert result.exit_code == 1 and "iconv" in result.output
    assert await _count(system_session) == 0


# -------------------------------------------------------------------------- national table


@pytest.mark.national
async def test_national_table_inner_mongolia(system_session):
    if not SHARED_DIVISIONS.exists():
        pytest.skip(f"national table not found at {SHARED_DIVISIONS} (../shared/data)")
    parsed = read_divisions(SHARED_DIVISIONS)
    assert len(parsed.rows) == 665_276 and not parsed.problems
    expected = sum(1 for _line, code, _name in parsed.rows if code.startswith("15"))
    plan = await plan_import(system_session, SYSTEM, parsed, under="15")
    assert len(plan.added) == expected
    await apply_import(system_session, SYSTEM, plan, batch_size=5_000)
    assert await _count(system_session) == expected
    erenhot = await provisioning.subtree_counts(system_session, await _tenant(system_session, "152501"))
    assert erenhot == {"township": 3, "village": 14}
    again = await plan_import(system_session, SYSTEM, parsed, under="15")
    assert again.counts["unchanged"] == expected and not again.added
