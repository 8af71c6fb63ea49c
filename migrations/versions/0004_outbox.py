"""outbox: e-mail notifications of bookings

Revision ID: 0004_outbox
Revises: 0003_booking
Create Date: 2026-11-28 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0004_outbox'
down_revision = '0003_booking'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('attachment_ics', sa.Text(), nullable=True),
    sa.Column('attachment_name', sa.String(length=80), nullable=True),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_outbox_messages_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_messages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_booking', ['booking_id', 'kind'], unique=False)
        batch_op.create_index('ix_outbox_messages_due', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index('uq_outbox_reminder_once', ['kind', 'booking_id', 'to_address'], unique=True, sqlite_where=sa.text("kind = 'reminder'"), postgresql_where=sa.text("kind = 'reminder'"))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('uq_outbox_reminder_once', sqlite_where=sa.text("kind = 'reminder'"), postgresql_where=sa.text("kind = 'reminder'"))
        batch_op.drop_index('ix_outbox_messages_due')
        batch_op.drop_index('ix_outbox_messages_booking')

    op.drop_table('outbox_messages')
