"""school coordinators: pending until approved

Revision ID: 0005_school_coordinators
Revises: 0004_outbox
Create Date: 2026-11-30 12:00:00.000000

A coordinator's membership of their school gets a state (``users.coordinator_status``:
pending, approved or rejected) and the moment it was decided. Before this revision anyone
who registered with a school's (public) NPSN joined that school and acted for it.

Existing rows are migrated conservatively:

- for each school, its earliest coordinator (role ``school``, oldest ``created_at``, then
  lowest id) is approved if the school is verified, and pending if it is not (verifying the
  school approves them, as for a new school);
- every later coordinator of a school is pending, verified school or not: they joined by
  naming a public NPSN and may be exactly the account this change locks out. Staff, or the
  school's approved coordinator, approve the genuine ones from the queue;
- accounts of other roles that somehow carry a ``school_id`` are pending too (only school
  accounts act for a school anyway);
- accounts without a school keep no state (NULL), which a CHECK constraint now requires.

The downgrade drops the columns, which gives every coordinator access to their school again.
"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0005_school_coordinators'
down_revision = '0004_outbox'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('role', sa.String),
    sa.column('school_id', sa.Integer),
    sa.column('created_at', sa.DateTime),
    sa.column('coordinator_status', sa.String),
)
schools = sa.table('schools', sa.column('id', sa.Integer), sa.column('verified_at', sa.DateTime))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coordinator_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('coordinator_decided_at', koin_media.database.UTCDateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    bind.execute(users.update().where(users.c.school_id.is_not(None)).values(coordinator_status='pending'))
    verified = sa.select(schools.c.id).where(schools.c.verified_at.is_not(None)).order_by(schools.c.id)
    for (school_id,) in bind.execute(verified).all():
        earliest = bind.execute(
            sa.select(users.c.id)
            .where(users.c.school_id == school_id, users.c.role == 'school')
            .order_by(users.c.created_at, users.c.id)
            .limit(1)
        ).scalar()
        if earliest is not None:
            bind.execute(users.update().where(users.c.id == earliest).values(coordinator_status='approved'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_users_coordinator_status_known'), "coordinator_status IN ('pending', 'approved', 'rejected')"
        )
        batch_op.create_check_constraint(
            op.f('ck_users_coordinator_status_with_school'), '(school_id IS NULL) = (coordinator_status IS NULL)'
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_coordinator_status_with_school'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_coordinator_status_known'), type_='check')
        batch_op.drop_column('coordinator_decided_at')
        batch_op.drop_column('coordinator_status')
