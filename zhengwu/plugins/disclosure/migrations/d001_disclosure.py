"""disclosure: categories, publications, attachments, links, review steps, requests,
consultations, request history, counters, annual-report inputs (RLS).

Every table is owned by one tenant and scoped by row-level security like the core's subtree
tables; categories are also readable by descendants (the catalog is inherited downwards).

Revision ID: d001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "d001"
down_revision = None
branch_labels = ("disclosure",)
depends_on = "0006"

TABLES = ("disclosure_categories", "disclosure_publications", "disclosure_attachments",
          "disclosure_links", "disclosure_review_steps", "disclosure_requests",
          "disclosure_consultations", "disclosure_request_history", "disclosure_counters",
          "disclosure_report_inputs")


def upgrade() -> None:
    op.create_table('disclosure_categories',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('parent_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_categories')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_disclosure_categories_tenant_id'))
    )
    op.create_index(op.f('ix_disclosure_categories_code'), 'disclosure_categories', ['code'], unique=False)
    op.create_index(op.f('ix_disclosure_categories_tenant_id'), 'disclosure_categories', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_categories_tenant_path'), 'disclosure_categories', ['tenant_path'], unique=False)
    op.create_table('disclosure_counters',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_counters')),
    sa.UniqueConstraint('tenant_id', 'kind', 'year', name=op.f('uq_disclosure_counters_tenant_id'))
    )
    op.create_index(op.f('ix_disclosure_counters_tenant_id'), 'disclosure_counters', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_counters_tenant_path'), 'disclosure_counters', ['tenant_path'], unique=False)
    op.create_table('disclosure_publications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('index_no', sa.String(length=60), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('disclosure_kinds', sa.JSON(), nullable=False),
    sa.Column('key_areas', sa.JSON(), nullable=False),
    sa.Column('attribute', sa.String(length=16), nullable=False),
    sa.Column('withhold_ground', sa.String(length=40), nullable=True),
    sa.Column('timing', sa.String(length=16), nullable=False),
    sa.Column('doc_kind', sa.String(length=16), nullable=False),
    sa.Column('document_no', sa.String(length=100), nullable=True),
    sa.Column('department_name', sa.String(length=200), nullable=True),
    sa.Column('is_major', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('formed_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_derivation', sa.JSON(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('published_late', sa.Boolean(), nullable=True),
    sa.Column('published_title', sa.String(length=300), nullable=True),
    sa.Column('published_body', sa.Text(), nullable=True),
    sa.Column('repealed_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_publications')),
    sa.UniqueConstraint('tenant_id', 'index_no', name=op.f('uq_disclosure_publications_tenant_id'))
    )
    op.create_index('ix_disclosure_publications_feed', 'disclosure_publications', ['tenant_path', 'status', 'published_on'], unique=False)
    op.create_index('ix_disclosure_publications_formed', 'disclosure_publications', ['tenant_path', 'formed_on'], unique=False)
    op.create_index(op.f('ix_disclosure_publications_index_no'), 'disclosure_publications', ['index_no'], unique=False)
    op.create_index(op.f('ix_disclosure_publications_tenant_id'), 'disclosure_publications', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_publications_tenant_path'), 'disclosure_publications', ['tenant_path'], unique=False)
    op.create_table('disclosure_report_inputs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.JSON(), nullable=False),
    sa.Column('review_litigation', sa.JSON(), nullable=False),
    sa.Column('proactive', sa.JSON(), nullable=False),
    sa.Column('carried_over', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_report_inputs')),
    sa.UniqueConstraint('tenant_id', 'year', name=op.f('uq_disclosure_report_inputs_tenant_id'))
    )
    op.create_index(op.f('ix_disclosure_report_inputs_tenant_id'), 'disclosure_report_inputs', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_report_inputs_tenant_path'), 'disclosure_report_inputs', ['tenant_path'], unique=False)
    op.create_table('disclosure_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_no', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('requester_kind', sa.String(length=20), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=False),
    sa.Column('requester_id_enc', sa.Text(), nullable=True),
    sa.Column('requester_id_hash', sa.String(length=64), nullable=True),
    sa.Column('requester_id_masked', sa.String(length=32), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('clock_start', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_derivation', sa.JSON(), nullable=False),
    sa.Column('correction_notice_on', sa.Date(), nullable=True),
    sa.Column('correction_items', sa.Text(), nullable=True),
    sa.Column('correction_deadline', sa.Date(), nullable=True),
    sa.Column('corrected_on', sa.Date(), nullable=True),
    sa.Column('extended_days', sa.Integer(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('extension_approved_by', sa.Uuid(), nullable=True),
    sa.Column('extension_approved_on', sa.Date(), nullable=True),
    sa.Column('fee_cents', sa.Integer(), nullable=True),
    sa.Column('fee_notice_on', sa.Date(), nullable=True),
    sa.Column('fee_paid_on', sa.Date(), nullable=True),
    sa.Column('reply_type', sa.String(length=40), nullable=True),
    sa.Column('reply_reason', sa.String(length=40), nullable=True),
    sa.Column('reply_text', sa.Text(), nullable=True),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('replied_on_time', sa.Boolean(), nullable=True),
    sa.Column('replied_by', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_requests')),
    sa.UniqueConstraint('request_no', name=op.f('uq_disclosure_requests_request_no'))
    )
    op.create_index('ix_disclosure_requests_open', 'disclosure_requests', ['status', 'due_on'], unique=False)
    op.create_index('ix_disclosure_requests_received', 'disclosure_requests', ['tenant_path', 'received_on'], unique=False)
    op.create_index(op.f('ix_disclosure_requests_requester_id_hash'), 'disclosure_requests', ['requester_id_hash'], unique=False)
    op.create_index(op.f('ix_disclosure_requests_tenant_id'), 'disclosure_requests', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_requests_tenant_path'), 'disclosure_requests', ['tenant_path'], unique=False)
    op.create_table('disclosure_attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('publication_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['disclosure_publications.id'], name=op.f('fk_disclosure_attachments_publication_id_disclosure_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_attachments'))
    )
    op.create_index(op.f('ix_disclosure_attachments_publication_id'), 'disclosure_attachments', ['publication_id'], unique=False)
    op.create_index(op.f('ix_disclosure_attachments_tenant_id'), 'disclosure_attachments', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_attachments_tenant_path'), 'disclosure_attachments', ['tenant_path'], unique=False)
    op.create_table('disclosure_consultations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('party_name', sa.String(length=200), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['disclosure_requests.id'], name=op.f('fk_disclosure_consultations_request_id_disclosure_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_consultations'))
    )
    op.create_index(op.f('ix_disclosure_consultations_request_id'), 'disclosure_consultations', ['request_id'], unique=False)
    op.create_index(op.f('ix_disclosure_consultations_tenant_id'), 'disclosure_consultations', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_consultations_tenant_path'), 'disclosure_consultations', ['tenant_path'], unique=False)
    op.create_table('disclosure_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('publication_id', sa.Uuid(), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['disclosure_publications.id'], name=op.f('fk_disclosure_links_publication_id_disclosure_publications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['disclosure_publications.id'], name=op.f('fk_disclosure_links_target_id_disclosure_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_links')),
    sa.UniqueConstraint('publication_id', 'target_id', 'kind', name=op.f('uq_disclosure_links_publication_id'))
    )
    op.create_index(op.f('ix_disclosure_links_publication_id'), 'disclosure_links', ['publication_id'], unique=False)
    op.create_index(op.f('ix_disclosure_links_target_id'), 'disclosure_links', ['target_id'], unique=False)
    op.create_index(op.f('ix_disclosure_links_tenant_id'), 'disclosure_links', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_links_tenant_path'), 'disclosure_links', ['tenant_path'], unique=False)
    op.create_table('disclosure_request_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['disclosure_requests.id'], name=op.f('fk_disclosure_request_history_request_id_disclosure_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_request_history'))
    )
    op.create_index(op.f('ix_disclosure_request_history_request_id'), 'disclosure_request_history', ['request_id'], unique=False)
    op.create_index(op.f('ix_disclosure_request_history_tenant_id'), 'disclosure_request_history', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_request_history_tenant_path'), 'disclosure_request_history', ['tenant_path'], unique=False)
    op.create_table('disclosure_review_steps',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('publication_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_role', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_path', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['disclosure_publications.id'], name=op.f('fk_disclosure_review_steps_publication_id_disclosure_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_review_steps'))
    )
    op.create_index(op.f('ix_disclosure_review_steps_publication_id'), 'disclosure_review_steps', ['publication_id'], unique=False)
    op.create_index(op.f('ix_disclosure_review_steps_tenant_id'), 'disclosure_review_steps', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_disclosure_review_steps_tenant_path'), 'disclosure_review_steps', ['tenant_path'], unique=False)
    for table in TABLES:
        enable_rls(op, table, ancestors_readable=(table == "disclosure_categories"))
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO zhengwu_app")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
