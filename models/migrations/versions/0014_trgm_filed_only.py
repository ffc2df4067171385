"""text search index on filed mentions only

The inbox's text search (``models.complaint_search``) looks only at mentions linked
to a complaint, and every such mention is ``filed``. The pg_trgm index of migration
0005 covered every mention, so each stored mention paid for its trigrams twice: once
when harvested (pending) and again when routing wrote its state (an UPDATE of an
indexed column makes a new row version, which every index takes again). Measured with
bench/pipeline_bench.py, that index was half of PostgreSQL's work per mention. Now it
covers filed mentions only: a mention enters it once, when it is filed, and mentions
that are not complaints, in triage or still pending never do.

PostgreSQL only, and only where migration 0005 could create the index (pg_trgm
installed). Rebuilding it reads the mention table once and holds back writes to it
meanwhile (harvesting and routing wait; nothing fails): on a large store, run
``aduan db upgrade`` at a quiet hour.

Revision ID: 0014_trgm_filed_only
Revises: 0013_reply_rounds
Create Date: 2026-12-04
"""
from alembic import op


revision = '0014_trgm_filed_only'
down_revision = '0013_reply_rounds'
branch_labels = None
depends_on = None

FILED_ONLY = (
    "CREATE INDEX ix_mention_text_trgm ON mention USING gin ((text::text) gin_trgm_ops) "
    "WHERE state = 'filed'"
)
EVERY_MENTION = 'CREATE INDEX ix_mention_text_trgm ON mention USING gin ((text::text) gin_trgm_ops)'


def _rebuild(definition: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    if not bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return  # migration 0005 warned that text search scans without it
    op.execute('DROP INDEX IF EXISTS ix_mention_text_trgm')
    op.execute(definition)


def upgrade() -> None:
    _rebuild(FILED_ONLY)


def downgrade() -> None:
    _rebuild(EVERY_MENTION)
