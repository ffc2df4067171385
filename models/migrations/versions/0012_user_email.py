"""user e-mail and assignment notices

Adds ``app_user.email`` (where a petugas hears of a complaint assigned to them; empty
for users without one) and ``complaint_assignment.notified`` (how the new petugas was
told: the outbox channels queued, or ``none`` when they could not be notified), and
the index round-robin auto-assignment reads each petugas's latest assignment with.

Revision ID: 0012_user_email
Revises: 0011_agency_desk
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012_user_email'
down_revision = '0011_agency_desk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
    with op.batch_alter_table('complaint_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.create_index('ix_complaint_assignment_to_user_at', ['to_user_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_assignment_to_user_at')
        batch_op.drop_column('notified')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
