"""what a school teaches, for the booking's level warning; when a group checked in

Revision ID: 0014_school_levels
Revises: 0013_notices
Create Date: 2026-11-30 21:30:00.000000

``schools.levels``: the levels a school teaches (comma-separated subset of SD, SMP, SMA, SMK),
empty while unknown. Existing schools get what their name says when it says it plainly
("SMPN 2 Mataram", "SD Negeri 1 Praya", "MTs Nurul Huda"); any other name stays unknown,
which never warns, until a coordinator sets it on the account page.

``bookings.checked_in_at``: when a group was checked in. Existing checked-in and completed
bookings take it from their ``booking.check_in`` audit event; without one it stays empty
(the page then says "checked in" without a time).
"""
import re

from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0014_school_levels'
down_revision = '0013_notices'
branch_labels = None
depends_on = None

# The usual first word of a school's name and the level it means. Frozen here (not imported)
# so that this revision migrates the same way whatever the application code later becomes.
# Madrasahs: MI is primary (SD), MTs lower secondary (SMP), MA upper secondary (SMA).
NAME_LEVELS = (
    (re.compile(r"^(SD|SDN|SDS|SDIT|MI|MIN|MIS)\b"), "SD"),
    (re.compile(r"^(SMP|SMPN|SMPS|SMPIT|MTS|MTSN|MTSS)\b"), "SMP"),
    (re.compile(r"^(SMA|SMAN|SMAS|SMAIT|MA|MAN|MAS)\b"), "SMA"),
    (re.compile(r"^(SMK|SMKN|SMKS)\b"), "SMK"),
)

schools = sa.table('schools', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('levels', sa.String))
bookings = sa.table(
    'bookings', sa.column('id', sa.Integer), sa.column('status', sa.String), sa.column('checked_in_at', sa.DateTime)
)
audit_events = sa.table(
    'audit_events',
    sa.column('action', sa.String),
    sa.column('subject_type', sa.String),
    sa.column('subject_id', sa.Integer),
    sa.column('created_at', sa.DateTime),
)


def level_from_name(name):
    """The level the name's first word says, if no other word names another level: a guess
    that is wrong ("SD-SMP Terpadu" is not only an SD) would warn a school against its own
    pupils, while an unknown school is never warned."""
    text = re.sub(r"['\u2019`]", "", (name or "").upper())  # "MA'HAD" is one word, not MA (SMA)
    words = re.sub(r"[^A-Z0-9 ]", " ", text).split()
    named = [level for word in words for pattern, level in NAME_LEVELS if pattern.fullmatch(word)]
    first = next((level for pattern, level in NAME_LEVELS if words and pattern.fullmatch(words[0])), "")
    return first if first and set(named) == {first} else ""


def upgrade():
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('levels', sa.String(length=20), server_default='', nullable=False))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_at', koin_media.database.UTCDateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    by_level = {}
    for school_id, name in bind.execute(sa.select(schools.c.id, schools.c.name)).all():
        level = level_from_name(name)
        if level:
            by_level.setdefault(level, []).append(school_id)
    for level, ids in by_level.items():
        for start in range(0, len(ids), 500):
            bind.execute(schools.update().where(schools.c.id.in_(ids[start:start + 500])).values(levels=level))

    checked_in = (
        sa.select(sa.func.max(audit_events.c.created_at))
        .where(
            audit_events.c.action == 'booking.check_in',
            audit_events.c.subject_type == 'bookings',
            audit_events.c.subject_id == bookings.c.id,
        )
        .scalar_subquery()
    )
    bind.execute(
        bookings.update().where(bookings.c.status.in_(('checked_in', 'completed'))).values(checked_in_at=checked_in)
    )


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch copy of bookings
    # would have to rebuild its partial unique index from reflection.
    op.drop_column('bookings', 'checked_in_at')
    op.drop_column('schools', 'levels')
