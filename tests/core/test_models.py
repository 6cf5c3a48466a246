"""Model conventions every table follows (core and plugins alike)."""

from __future__ import annotations

from sqlalchemy.orm import configure_mappers

from zhengwu.models import Base


def test_every_relationship_raises_instead_of_lazy_loading():
    configure_mappers()
    lazy = [f"{m.class_.__name__}.{r.key}={r.lazy}" for m in Base.registry.mappers
            for r in m.relationships if r.lazy != "raise"]
    assert lazy == [], "relationships must be lazy='raise' (use DataLoaders or explicit queries)"


def test_every_tenant_owned_table_indexes_its_path():
    for table in Base.metadata.sorted_tables:
        if "tenant_path" in table.c:
            assert any(next(iter(ix.columns)).name == "tenant_path" for ix in table.indexes), table.name
