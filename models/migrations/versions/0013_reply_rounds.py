"""reply rounds: a reply per occurrence of its event, and reply entries in the history

``citizen_reply.occurrence`` counts how often the complaint had reached the reply's
event before; the unique key becomes (mention, complaint, event, occurrence), so a
reopened complaint worked again, and a report split off by an undone merge (a new
complaint and number), are answered again, still at most once per round.
``status_change.kind`` tells status changes (``status``) from the reply entries
(``balasan``) written beside them. Existing rows: occurrence 0, kind ``status``.

Revision ID: 0013_reply_rounds
Revises: 0012_user_email
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013_reply_rounds'
down_revision = '0012_user_email'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='status', nullable=False))

    with op.batch_alter_table('citizen_reply', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurrence', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_citizen_reply_mention_event', type_='unique')
        batch_op.create_unique_constraint('uq_citizen_reply_occurrence', ['mention_id', 'complaint_id', 'event', 'occurrence'])


def downgrade() -> None:
    # Keeps each (mention, event)'s first reply: the old key allows only one.
    op.execute(
        "DELETE FROM citizen_reply WHERE id NOT IN "
        "(SELECT MIN(id) FROM citizen_reply GROUP BY mention_id, event)"
    )
    with op.batch_alter_table('citizen_reply', schema=None) as batch_op:
        batch_op.drop_constraint('uq_citizen_reply_occurrence', type_='unique')
        batch_op.create_unique_constraint('uq_citizen_reply_mention_event', ['mention_id', 'event'])
        batch_op.drop_column('occurrence')

    op.execute("DELETE FROM status_change WHERE kind <> 'status'")
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_column('kind')
