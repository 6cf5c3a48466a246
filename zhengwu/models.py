"""Imports every core table so that ``Base.metadata`` is complete (alembic, tests, CLI).

Plugin tables join the same metadata through the plugin contract (issue 3).
"""

from zhengwu.core import audit
from zhengwu.core.calendar import models as calendar_models  # noqa: F401
from zhengwu.core.catalog import models as catalog_models
from zhengwu.core.db import Base
from zhengwu.core.jobs import models as job_models  # noqa: F401  (job_runs, outbox)
from zhengwu.core.security import models as security_models
from zhengwu.tenants import models as tenant_models

__all__ = ["Base", "audit", "catalog_models", "security_models", "tenant_models", "tenant_owned_tables"]


def tenant_owned_tables() -> list[str]:
    """Names of every table with a ``tenant_path`` column (scope filters, RLS, merges)."""
    return sorted(t.name for t in Base.metadata.sorted_tables if "tenant_path" in t.c)
