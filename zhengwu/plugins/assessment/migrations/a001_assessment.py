"""assessment: indicator systems (versions), manual scores, runs (RLS; runs immutable).

Every table is owned by the assessing tenant and scoped by row-level security like the core's
subtree tables. On PostgreSQL a trigger refuses any UPDATE of ``assessment_runs`` that changes
more than the owner columns (``tenant_id``/``tenant_path`` are rewritten when tenants merge).

Revision ID: a001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "a001"
down_revision = None
branch_labels = ("assessment",)
depends_on = "0006"

TABLES = ("assessment_systems", "assessment_manual_scores", "assessment_runs")
_PATH = sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql')


def _owner() -> list[sa.Column]:
    return [sa.Column('tenant_id', sa.Uuid(), nullable=False),
            sa.Column('tenant_path', _PATH, nullable=False)]


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]


def _indexes(table: str) -> None:
    op.create_index(op.f(f'ix_{table}_tenant_id'), table, ['tenant_id'], unique=False)
    op.create_index(op.f(f'ix_{table}_tenant_path'), table, ['tenant_path'], unique=False)


def upgrade() -> None:
    op.create_table('assessment_systems',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('tree', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    *_owner(), *_stamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_systems')),
    sa.UniqueConstraint('tenant_id', 'code', 'version', name=op.f('uq_assessment_systems_tenant_id'))
    )
    _indexes('assessment_systems')
    op.create_table('assessment_manual_scores',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_code', sa.String(length=40), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('target_tenant_id', sa.Uuid(), nullable=False),
    sa.Column('target_code', sa.String(length=12), nullable=False),
    sa.Column('indicator_key', sa.String(length=100), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('entered_by', sa.String(length=100), nullable=True),
    *_owner(), *_stamps(),
    sa.ForeignKeyConstraint(['target_tenant_id'], ['tenants.id'], name=op.f('fk_assessment_manual_scores_target_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_manual_scores')),
    sa.UniqueConstraint('tenant_id', 'system_code', 'period_start', 'period_end', 'target_tenant_id', 'indicator_key', name=op.f('uq_assessment_manual_scores_tenant_id'))
    )
    _indexes('assessment_manual_scores')
    op.create_table('assessment_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('system_code', sa.String(length=40), nullable=False),
    sa.Column('system_name', sa.String(length=200), nullable=False),
    sa.Column('system_version', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('target_tier', sa.String(length=16), nullable=False),
    sa.Column('target_count', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    *_owner(),
    sa.ForeignKeyConstraint(['system_id'], ['assessment_systems.id'], name=op.f('fk_assessment_runs_system_id_assessment_systems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_runs'))
    )
    _indexes('assessment_runs')
    op.create_index(op.f('ix_assessment_runs_system_id'), 'assessment_runs', ['system_id'], unique=False)
    op.create_index('ix_assessment_runs_period', 'assessment_runs', ['tenant_path', 'period_start'], unique=False)
    for table in TABLES:
        enable_rls(op, table)
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO zhengwu_app")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION assessment_runs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF (to_jsonb(NEW) - 'tenant_id' - 'tenant_path') IS DISTINCT FROM "
            "(to_jsonb(OLD) - 'tenant_id' - 'tenant_path') THEN "
            "RAISE EXCEPTION 'assessment run % is immutable', OLD.id; END IF; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER assessment_runs_immutable BEFORE UPDATE ON assessment_runs "
                   "FOR EACH ROW EXECUTE FUNCTION assessment_runs_immutable()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS assessment_runs_immutable ON assessment_runs")
        op.execute("DROP FUNCTION IF EXISTS assessment_runs_immutable()")
    for table in reversed(TABLES):
        op.drop_table(table)
