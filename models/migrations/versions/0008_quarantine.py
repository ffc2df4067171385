"""quarantine: collected records the store could not take, and their counts per source

Adds ``quarantine`` (a record's raw payload, the mention fields built from it, the
reason, the source, when, and how often it was retried) and two counters on
``source_health``: records set aside by the last run and in total.

Revision ID: 0008_quarantine
Revises: 0007_personal_data
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import sqlmodel
import models.types


revision = '0008_quarantine'
down_revision = '0007_personal_data'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('platform_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('fields', _JSON, nullable=False),
    sa.Column('raw', _JSON, nullable=False),
    sa.Column('quarantined_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retried_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_source_id', ['source', 'id'], unique=False)
    with op.batch_alter_table('source_health', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_run_quarantined', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('total_quarantined', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('source_health', schema=None) as batch_op:
        batch_op.drop_column('total_quarantined')
        batch_op.drop_column('last_run_quarantined')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_source_id')
    op.drop_table('quarantine')
