"""imported training examples and the abstention reason

Adds the city's own labelled history as a training source (``example_import``: one
row per `aduan corpus import` run with file, time, actor and counts;
``training_example``: the masked texts with their category, original label, file row
and fixed split) and ``mention.abstain_reason``, the reason the model gave for sending
a mention to triage.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import sqlmodel
import models.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('example_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('imported_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_example_import'))
    )
    op.create_table('training_example',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('source_label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('split', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['example_import.id'], name=op.f('fk_training_example_import_id_example_import')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_example')),
    sa.UniqueConstraint('text_sha256', name='uq_training_example_text_sha256')
    )
    with op.batch_alter_table('training_example', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_example_import_id'), ['import_id'], unique=False)
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('abstain_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_column('abstain_reason')
    with op.batch_alter_table('training_example', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_example_import_id'))
    op.drop_table('training_example')
    op.drop_table('example_import')
