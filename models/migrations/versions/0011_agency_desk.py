"""agency desk: a complaint's petugas and the history of its assignments (issue 16)

Adds ``complaint.assignee_id`` (the agency user working a complaint; no foreign key,
which would make SQLite rebuild the complaint table), its index for "Pengaduan saya",
``complaint_assignment`` (who assigned whom, when) and ``saved_view`` (named list
filters, personal or shared with the owner's agency).

Revision ID: 0011_agency_desk
Revises: 0010_escalation
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import sqlmodel
import models.types


revision = '0011_agency_desk'
down_revision = '0009_public_number'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=True),
    sa.Column('to_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_assignment_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['from_user_id'], ['app_user.id'], name=op.f('fk_complaint_assignment_from_user_id_app_user')),
    sa.ForeignKeyConstraint(['to_user_id'], ['app_user.id'], name=op.f('fk_complaint_assignment_to_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_assignment'))
    )
    with op.batch_alter_table('complaint_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_assignment_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('owner_agency', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('inbox', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('filters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_saved_view_owner_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_view')),
    sa.UniqueConstraint('owner_id', 'name', name='uq_saved_view_owner_name')
    )
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_view_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_view_owner_agency'), ['owner_agency'], unique=False)

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_complaint_assignee_status', ['assignee_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_assignee_status')
        batch_op.drop_column('assignee_id')

    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_view_owner_agency'))
        batch_op.drop_index(batch_op.f('ix_saved_view_owner_id'))

    op.drop_table('saved_view')
    with op.batch_alter_table('complaint_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_assignment_complaint_id'))

    op.drop_table('complaint_assignment')
