"""inbox list indexes

Indexes for the agency inbox list's filters, measured with bench/web_bench.py over
100,000 complaints: an inbox newest first (its deep pages and date ranges without a
sort); the kecamatan filter, its choices and its per-status counts; the platform filter
(both sides of the join to the origin mention as index-only scans); and, on PostgreSQL
only, text search through a pg_trgm trigram index on the mention text.

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension (PostgreSQL 13+),
so the database's owner may create it. Where it cannot be created the trigram index is
left out with a warning: text search still works, by scanning. Downgrading drops the
index but leaves the extension, which something else may use.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')


def upgrade() -> None:

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_inbox_created', ['inbox', 'created_at'], unique=False)
        batch_op.create_index('ix_complaint_inbox_kecamatan_status', ['inbox', 'kecamatan', 'status'], unique=False)
        batch_op.create_index('ix_complaint_inbox_status_origin', ['inbox', 'status', 'origin_mention_id'], unique=False)

    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.create_index('ix_mention_platform', ['platform', 'id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql' and _pg_trgm_ready():
        # Optional, so not on the models (models.tables.OPTIONAL_INDEXES).
        op.execute(
            'CREATE INDEX ix_mention_text_trgm ON mention USING gin ((text::text) gin_trgm_ops)'
        )


def _pg_trgm_ready() -> bool:
    """Whether pg_trgm is installed, creating it if it is available and we may."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    problem = 'it is not installed on the server (package postgresql-contrib)'
    if available:
        try:
            with bind.begin_nested():
                bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
            return True
        except sa.exc.DBAPIError as err:
            problem = 'CREATE EXTENSION pg_trgm failed: ' + ' '.join(str(err.orig).split())
    log.warning(
        'text search index ix_mention_text_trgm not created (%s); inbox text search '
        'will scan the mentions. Create it later with: CREATE EXTENSION pg_trgm; '
        'CREATE INDEX ix_mention_text_trgm ON mention USING gin ((text::text) gin_trgm_ops) '
        "WHERE state = 'filed' (the definition of migration 0014)",
        problem,
    )
    return False


def downgrade() -> None:

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_mention_text_trgm')

    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_platform')

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_inbox_status_origin')
        batch_op.drop_index('ix_complaint_inbox_kecamatan_status')
        batch_op.drop_index('ix_complaint_inbox_created')
