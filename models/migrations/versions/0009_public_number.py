"""public complaint number

Adds ``citizen_reply`` (public replies to citizens, one per mention and event) and
``reply_account_state`` (a source whose reply channel was switched off); and
``complaint.public_number`` (``DPS-26-00123``: prefix, WITA year, the year's
sequence; unique) and ``public_number_counter``, the last value drawn per (prefix,
year). Existing complaints are numbered in the order they were filed, per WITA year,
with the default prefix ``DPS``, and the counters start after them, so numbers filed
later continue each year's sequence.

Revision ID: 0009_public_number
Revises: 0007_personal_data
Create Date: 2026-12-03
"""
from datetime import UTC, timedelta

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0009_public_number'
down_revision = '0010_escalation'
branch_labels = None
depends_on = None

# Frozen here: a migration must not change when the code's defaults do.
_PREFIX = 'DPS'
_WITA = timedelta(hours=8)
_BATCH = 1000


def upgrade() -> None:
    op.create_table('public_number_counter',
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_public_number_counter'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_number', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
    _backfill()
    _replies()
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.alter_column('public_number', existing_type=sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False)
        batch_op.create_unique_constraint('uq_complaint_public_number', ['public_number'])


def _backfill() -> None:
    conn = op.get_bind()
    complaint = sa.table('complaint', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime), sa.column('public_number', sa.String))
    counter = sa.table('public_number_counter', sa.column('prefix', sa.String), sa.column('year', sa.Integer), sa.column('last_value', sa.Integer))
    rows = conn.execute(sa.select(complaint.c.id, complaint.c.created_at).order_by(complaint.c.created_at, complaint.c.id)).all()
    last: dict[int, int] = {}
    updates = []
    for row in rows:
        created = row.created_at
        if isinstance(created, str):  # SQLite without the column's type: ISO text
            from datetime import datetime
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        year = (created.astimezone(UTC) + _WITA).year
        last[year] = last.get(year, 0) + 1
        updates.append({'cid': row.id, 'number': f'{_PREFIX}-{year % 100:02d}-{last[year]:05d}'})
    stmt = complaint.update().where(complaint.c.id == sa.bindparam('cid')).values(public_number=sa.bindparam('number'))
    for start in range(0, len(updates), _BATCH):
        conn.execute(stmt, updates[start:start + _BATCH])
    if last:
        conn.execute(counter.insert(), [{'prefix': _PREFIX, 'year': y, 'last_value': n} for y, n in sorted(last.items())])


def _replies() -> None:
    op.create_table('citizen_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('mention_id', sa.Integer(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('platform_reply_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('approved_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempted_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_citizen_reply_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['mention_id'], ['mention.id'], name=op.f('fk_citizen_reply_mention_id_mention')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_reply')),
    sa.UniqueConstraint('mention_id', 'event', name='uq_citizen_reply_mention_event')
    )
    with op.batch_alter_table('citizen_reply', schema=None) as batch_op:
        batch_op.create_index('ix_citizen_reply_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ix_citizen_reply_source_sent', ['source', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_citizen_reply_complaint_id'), ['complaint_id'], unique=False)
    op.create_table('reply_account_state',
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('disabled_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('disabled_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_reply_account_state'))
    )


def downgrade() -> None:
    op.drop_table('reply_account_state')
    with op.batch_alter_table('citizen_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_reply_complaint_id'))
        batch_op.drop_index('ix_citizen_reply_source_sent')
        batch_op.drop_index('ix_citizen_reply_status_id')
    op.drop_table('citizen_reply')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_constraint('uq_complaint_public_number', type_='unique')
        batch_op.drop_column('public_number')
    op.drop_table('public_number_counter')
