"""intake: cases, materials, steps, pauses, supplement notices, history, fees, counters (RLS).

Every table is owned by the case's accepting tenant and scoped by row-level security like the
core's subtree tables: the accepting tenant and its ancestors (the handling tenant among
them) see a case, siblings do not.

Revision ID: i001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "i001"
down_revision = None
branch_labels = ("intake",)
depends_on = "0006"

TABLES = ("intake_cases", "intake_case_materials", "intake_case_steps", "intake_pauses",
          "intake_supplement_notices", "intake_case_history", "intake_fees", "intake_counters")


def upgrade() -> None:
    op.create_table('intake_cases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('case_no', sa.String(length=40), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('is_parallel', sa.Boolean(), nullable=False),
    sa.Column('handling_tenant_id', sa.Uuid(), nullable=False),
    sa.Column('handling_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('implementation_id', sa.Uuid(), nullable=True),
    sa.Column('basic_code', sa.String(length=14), nullable=True),
    sa.Column('implementation_code', sa.String(length=40), nullable=True),
    sa.Column('item_name', sa.String(length=300), nullable=False),
    sa.Column('item_type', sa.String(length=2), nullable=True),
    sa.Column('department_name', sa.String(length=200), nullable=True),
    sa.Column('case_type', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('window_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resume_status', sa.String(length=20), nullable=True),
    sa.Column('basis', sa.String(length=16), nullable=True),
    sa.Column('applicant_kind', sa.String(length=16), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('applicant_code', sa.String(length=18), nullable=True),
    sa.Column('applicant_id_enc', sa.Text(), nullable=True),
    sa.Column('applicant_id_hash', sa.String(length=64), nullable=True),
    sa.Column('applicant_id_masked', sa.String(length=32), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=True),
    sa.Column('lookup_checks', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('not_accepted_on', sa.Date(), nullable=True),
    sa.Column('not_accepted_reason', sa.Text(), nullable=True),
    sa.Column('not_accepted_basis', sa.Text(), nullable=True),
    sa.Column('statutory_days', sa.Integer(), nullable=True),
    sa.Column('promised_days', sa.Integer(), nullable=True),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('due_derivation', sa.JSON(), nullable=True),
    sa.Column('tolerated_missing', sa.JSON(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('handling_days', sa.Integer(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('delivery_method', sa.String(length=16), nullable=True),
    sa.Column('delivery_note', sa.String(length=300), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('fees_cents', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['intake_cases.id'], name=op.f('fk_intake_cases_parent_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_cases')),
    sa.UniqueConstraint('case_no', name=op.f('uq_intake_cases_case_no')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_intake_cases_tenant_id'))
    )
    op.create_index('ix_intake_cases_accepted', 'intake_cases', ['tenant_path', 'accepted_on'], unique=False)
    op.create_index(op.f('ix_intake_cases_applicant_id_hash'), 'intake_cases', ['applicant_id_hash'], unique=False)
    op.create_index('ix_intake_cases_decided', 'intake_cases', ['tenant_path', 'decided_on'], unique=False)
    op.create_index(op.f('ix_intake_cases_handling_path'), 'intake_cases', ['handling_path'], unique=False)
    op.create_index(op.f('ix_intake_cases_implementation_id'), 'intake_cases', ['implementation_id'], unique=False)
    op.create_index('ix_intake_cases_open', 'intake_cases', ['status', 'due_date'], unique=False)
    op.create_index('ix_intake_cases_page', 'intake_cases', ['submitted_at', 'id'], unique=False)
    op.create_index(op.f('ix_intake_cases_parent_id'), 'intake_cases', ['parent_id'], unique=False)
    op.create_index(op.f('ix_intake_cases_phone_hash'), 'intake_cases', ['phone_hash'], unique=False)
    op.create_index('ix_intake_cases_submitted', 'intake_cases', ['tenant_path', 'submitted_on'], unique=False)
    op.create_index(op.f('ix_intake_cases_tenant_id'), 'intake_cases', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_cases_tenant_path'), 'intake_cases', ['tenant_path'], unique=False)
    op.create_table('intake_case_materials',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('originals', sa.Integer(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['intake_cases.id'], name=op.f('fk_intake_case_materials_case_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_case_materials')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_intake_case_materials_case_id'))
    )
    op.create_index(op.f('ix_intake_case_materials_case_id'), 'intake_case_materials', ['case_id'], unique=False)
    op.create_index(op.f('ix_intake_case_materials_tenant_id'), 'intake_case_materials', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_case_materials_tenant_path'), 'intake_case_materials', ['tenant_path'], unique=False)
    op.create_table('intake_case_steps',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('limit_days', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_name', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_on', sa.Date(), nullable=True),
    sa.Column('opinion', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['intake_cases.id'], name=op.f('fk_intake_case_steps_case_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_case_steps')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_intake_case_steps_case_id'))
    )
    op.create_index(op.f('ix_intake_case_steps_case_id'), 'intake_case_steps', ['case_id'], unique=False)
    op.create_index(op.f('ix_intake_case_steps_tenant_id'), 'intake_case_steps', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_case_steps_tenant_path'), 'intake_case_steps', ['tenant_path'], unique=False)
    op.create_table('intake_pauses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_day', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['intake_cases.id'], name=op.f('fk_intake_pauses_case_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_pauses'))
    )
    op.create_index(op.f('ix_intake_pauses_case_id'), 'intake_pauses', ['case_id'], unique=False)
    op.create_index(op.f('ix_intake_pauses_tenant_id'), 'intake_pauses', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_pauses_tenant_path'), 'intake_pauses', ['tenant_path'], unique=False)
    op.create_table('intake_supplement_notices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('notify_by', sa.Date(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['intake_cases.id'], name=op.f('fk_intake_supplement_notices_case_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_supplement_notices'))
    )
    op.create_index(op.f('ix_intake_supplement_notices_case_id'), 'intake_supplement_notices', ['case_id'], unique=False)
    op.create_index(op.f('ix_intake_supplement_notices_tenant_id'), 'intake_supplement_notices', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_supplement_notices_tenant_path'), 'intake_supplement_notices', ['tenant_path'], unique=False)
    op.create_table('intake_case_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['intake_cases.id'], name=op.f('fk_intake_case_history_case_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_case_history'))
    )
    op.create_index(op.f('ix_intake_case_history_case_id'), 'intake_case_history', ['case_id'], unique=False)
    op.create_index(op.f('ix_intake_case_history_tenant_id'), 'intake_case_history', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_case_history_tenant_path'), 'intake_case_history', ['tenant_path'], unique=False)
    op.create_table('intake_fees',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('fee_seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Uuid(), nullable=True),
    sa.Column('venue_id', sa.Uuid(), nullable=True),
    sa.Column('charged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('charged_on', sa.Date(), nullable=False),
    sa.Column('charged_by', sa.String(length=100), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['intake_cases.id'], name=op.f('fk_intake_fees_case_id_intake_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_fees'))
    )
    op.create_index(op.f('ix_intake_fees_case_id'), 'intake_fees', ['case_id'], unique=False)
    op.create_index('ix_intake_fees_day', 'intake_fees', ['tenant_path', 'charged_on'], unique=False)
    op.create_index(op.f('ix_intake_fees_tenant_id'), 'intake_fees', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_fees_tenant_path'), 'intake_fees', ['tenant_path'], unique=False)
    op.create_table('intake_counters',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_counters')),
    sa.UniqueConstraint('tenant_id', 'year', name=op.f('uq_intake_counters_tenant_id'))
    )
    op.create_index(op.f('ix_intake_counters_tenant_id'), 'intake_counters', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_intake_counters_tenant_path'), 'intake_counters', ['tenant_path'], unique=False)
    for table in TABLES:
        enable_rls(op, table)
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO zhengwu_app")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
