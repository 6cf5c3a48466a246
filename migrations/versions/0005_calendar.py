"""The working-day calendar: national exceptions, published years, regional overrides.

Seeds 2004–2026 from chinese-calendar (only the exceptions: holidays, weekend ones included
for naming, and make-up workdays). ``zhengwu.core.calendar.service.seed_national`` stores
the same rows from code (tests, a database emptied by hand).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from zhengwu.core.calendar import rules
from zhengwu.core.rls import enable_rls

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    years = op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    days = op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    op.create_table('calendar_overrides',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_overrides')),
    sa.UniqueConstraint('tenant_id', 'day', name=op.f('uq_calendar_overrides_tenant_id'))
    )
    with op.batch_alter_table('calendar_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_overrides_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_overrides_tenant_path'), ['tenant_path'], unique=False)
    # Overrides of an autonomous region are read by every tenant below it.
    enable_rls(op, 'calendar_overrides', ancestors_readable=True)

    now = datetime.now(UTC)
    op.bulk_insert(days, [
        {'day': d, 'kind': k, 'name': n, 'source': 'chinese_calendar'}
        for year in rules.PACKAGE_YEARS for d, k, n in rules.package_days(year)
    ])
    op.bulk_insert(years, [
        {'year': year, 'status': 'published', 'source': 'chinese_calendar', 'imported_at': now}
        for year in rules.PACKAGE_YEARS
    ])


def downgrade() -> None:
    with op.batch_alter_table('calendar_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_overrides_tenant_path'))
        batch_op.drop_index(batch_op.f('ix_calendar_overrides_tenant_id'))
    op.drop_table('calendar_overrides')
    op.drop_table('calendar_days')
    op.drop_table('calendar_years')
