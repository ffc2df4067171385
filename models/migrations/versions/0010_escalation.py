"""escalation, source alerts, reopening and incidents (issue 14)

Adds ``escalation`` (one row per complaint, missed deadline, its due time and level:
the unique key that makes an escalation fire once), ``source_alert`` (an episode of a broken source;
``open_key`` is unique while it is open), ``incident`` and ``incident_complaint`` (a
burst of reports at one place), ``complaint.previous_complaint_id`` (a reply after the
reopen window files a new complaint linked to the closed one) and the index a silent
source's check reads. The outbox gains ``recipient`` (who a row is for) and a unique
``dedupe_key``; ``complaint_id`` and ``agency_code`` become optional (source alerts go
to the administrators and announce no complaint).

Revision ID: 0010_escalation
Revises: 0007_personal_data
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0010_escalation'
down_revision = '0008_quarantine'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kecamatan', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('desa', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('inbox', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('open_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('first_report_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_report_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('open_key', name=op.f('uq_incident_open_key'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_opened', ['opened_at'], unique=False)

    op.create_table('source_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('open_key', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opened_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_alert')),
    sa.UniqueConstraint('open_key', name=op.f('uq_source_alert_open_key'))
    )
    with op.batch_alter_table('source_alert', schema=None) as batch_op:
        batch_op.create_index('ix_source_alert_source_opened', ['source', 'opened_at'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('inbox', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('notified', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_escalation_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation')),
    sa.UniqueConstraint('complaint_id', 'deadline', 'due_at', 'level', name='uq_escalation_once')
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('incident_complaint',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_incident_complaint_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_complaint_incident_id_incident')),
    sa.PrimaryKeyConstraint('incident_id', 'complaint_id', name=op.f('pk_incident_complaint'))
    )
    with op.batch_alter_table('incident_complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_complaint_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_complaint_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.create_index('ix_mention_source_fetched', ['source', 'fetched_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='inbox'))
        batch_op.add_column(sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.alter_column('complaint_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('agency_code',
               existing_type=sa.VARCHAR(length=40),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_dedupe_key'), ['dedupe_key'])



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_dedupe_key'), type_='unique')
        batch_op.alter_column('agency_code',
               existing_type=sa.VARCHAR(length=40),
               nullable=False)
        batch_op.alter_column('complaint_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('recipient')

    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_source_fetched')

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('previous_complaint_id')

    with op.batch_alter_table('incident_complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_complaint_complaint_id'))

    op.drop_table('incident_complaint')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_complaint_id'))

    op.drop_table('escalation')
    with op.batch_alter_table('source_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_source_alert_source_opened')

    op.drop_table('source_alert')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_opened')

    op.drop_table('incident')
