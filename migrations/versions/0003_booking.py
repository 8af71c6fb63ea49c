"""booking: programs, slots, closures, bookings, waitlist; venue contacts, coordinates, managers

Revision ID: 0003_booking
Revises: 0002_media_assets
Create Date: 2026-11-28 07:07:30.522687

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0003_booking'
down_revision = '0002_media_assets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('min_students', sa.Integer(), nullable=False),
    sa.Column('max_students', sa.Integer(), nullable=False),
    sa.Column('students_per_teacher', sa.Integer(), nullable=False),
    sa.Column('levels', sa.String(length=40), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('price_per_student', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_programs_duration_positive')),
    sa.CheckConstraint('min_students >= 1 AND max_students >= min_students', name=op.f('ck_programs_group_size_range')),
    sa.CheckConstraint('price_per_student >= 0', name=op.f('ck_programs_price_not_negative')),
    sa.CheckConstraint('students_per_teacher >= 1', name=op.f('ck_programs_teacher_ratio_positive')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_programs_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs'))
    )
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programs_venue_id'), ['venue_id'], unique=False)

    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_closures_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_closures_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_closures_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_venue_id'), ['venue_id'], unique=False)

    op.create_table('slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_slots_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_slots_ends_after_start')),
    sa.CheckConstraint('held <= capacity', name=op.f('ck_slots_held_within_capacity')),
    sa.CheckConstraint('held >= 0', name=op.f('ck_slots_held_not_negative')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_slots_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slots')),
    sa.UniqueConstraint('program_id', 'starts_at', name='uq_slots_program_start')
    )
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slots_starts_at'), ['starts_at'], unique=False)

    op.create_table('venue_managers',
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_venue_managers_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_venue_managers_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('venue_id', 'user_id', name=op.f('pk_venue_managers'))
    )
    with op.batch_alter_table('venue_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venue_managers_user_id'), ['user_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.Column('teachers', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=3), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('special_needs', sa.Text(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('expires_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('cancelled_reason', sa.Text(), nullable=True),
    sa.Column('attended_students', sa.Integer(), nullable=True),
    sa.Column('attended_teachers', sa.Integer(), nullable=True),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("level IN ('SD', 'SMP', 'SMA', 'SMK')", name=op.f('ck_bookings_level_known')),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'checked_in', 'completed', 'rejected', 'expired', 'cancelled', 'no_show')", name=op.f('ck_bookings_status_known')),
    sa.CheckConstraint('(attended_students IS NULL OR attended_students >= 0) AND (attended_teachers IS NULL OR attended_teachers >= 0)', name=op.f('ck_bookings_attendance_not_negative')),
    sa.CheckConstraint('students >= 1 AND teachers >= 0', name=op.f('ck_bookings_headcount_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_bookings_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_bookings_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_bookings_school_id_schools')),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_bookings_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('code', name=op.f('uq_bookings_code'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_school_status', ['school_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ix_bookings_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('uq_bookings_live_school_slot', ['slot_id', 'school_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'confirmed', 'checked_in')"), postgresql_where=sa.text("status IN ('pending', 'confirmed', 'checked_in')"))

    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.Column('teachers', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=3), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('special_needs', sa.Text(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('offered_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('offered_until', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("level IN ('SD', 'SMP', 'SMA', 'SMK')", name=op.f('ck_waitlist_entries_level_known')),
    sa.CheckConstraint("status IN ('waiting', 'offered', 'accepted', 'lapsed', 'withdrawn')", name=op.f('ck_waitlist_entries_status_known')),
    sa.CheckConstraint('students >= 1 AND teachers >= 0', name=op.f('ck_waitlist_entries_headcount_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_waitlist_entries_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_waitlist_entries_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_waitlist_entries_school_id_schools')),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_waitlist_entries_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_slot_status', ['slot_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('uq_waitlist_live_school_slot', ['slot_id', 'school_id'], unique=True, sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))

    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))



def downgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')

    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_waitlist_live_school_slot', sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))
        batch_op.drop_index('ix_waitlist_entries_slot_status')
        batch_op.drop_index(batch_op.f('ix_waitlist_entries_school_id'))

    op.drop_table('waitlist_entries')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_live_school_slot', sqlite_where=sa.text("status IN ('pending', 'confirmed', 'checked_in')"), postgresql_where=sa.text("status IN ('pending', 'confirmed', 'checked_in')"))
        batch_op.drop_index('ix_bookings_status_expires')
        batch_op.drop_index(batch_op.f('ix_bookings_slot_id'))
        batch_op.drop_index('ix_bookings_school_status')

    op.drop_table('bookings')
    with op.batch_alter_table('venue_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venue_managers_user_id'))

    op.drop_table('venue_managers')
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slots_starts_at'))

    op.drop_table('slots')
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closures_venue_id'))

    op.drop_table('closures')
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programs_venue_id'))

    op.drop_table('programs')
