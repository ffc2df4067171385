"""personal data: confidential complaints, retention marks, the access log

Adds ``complaint.confidential``; ``mention.raw_purged_at``, ``text_purged_at`` and
``author_purged_at`` (when retention or an erasure request removed the platform's
payload, the text, the author's identity), so a purge interrupted half-way resumes
where it stopped; and ``access_log``, an append-only record of who read personal data,
exported, erased, or changed accounts and tokens. A trigger refuses every UPDATE of
``access_log`` on SQLite and PostgreSQL alike.

Revision ID: 0007_personal_data
Revises: 0006
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import sqlmodel
import models.types


revision = '0007_personal_data'
down_revision = '0006'
branch_labels = None
depends_on = None

_REFUSAL = "access_log is append-only: entries are never changed"


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_at', ['at'], unique=False)
        batch_op.create_index('ix_access_log_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_access_log_actor_at', ['actor', 'at'], unique=False)
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_purged_at', models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('text_purged_at', models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('author_purged_at', models.types.UTCDateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_column('author_purged_at')
        batch_op.drop_column('text_purged_at')
        batch_op.drop_column('raw_purged_at')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('confidential')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_actor_at')
        batch_op.drop_index('ix_access_log_action_at')
        batch_op.drop_index('ix_access_log_at')
    op.drop_table('access_log')
