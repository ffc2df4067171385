"""agency desk: a complaint's petugas and the history of its assignments (issue 16)

Adds ``complaint.assignee_id`` (the agency user working a complaint; no foreign key,
which would make SQLite rebuild the complaint table), its index for "Pengaduan saya",
and ``complaint_assignment`` (who assigned whom, when).

Revision ID: 0011_agency_desk
Revises: 0010_escalation
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0011_agency_desk'
down_revision = '0010_escalation'
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

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_complaint_assignee_status', ['assignee_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_assignee_status')
        batch_op.drop_column('assignee_id')

    with op.batch_alter_table('complaint_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_assignment_complaint_id'))

    op.drop_table('complaint_assignment')
