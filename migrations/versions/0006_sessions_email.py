"""server-side sessions, token revocation, e-mail verification and single-use links

Revision ID: 0006_sessions_email
Revises: 0005_school_coordinators
Create Date: 2026-11-30 12:00:00.000000

- ``user_sessions``: one row per signed-in browser. The session cookie and the remember
  cookie carry a random key whose SHA-256 is ``key_hash``; log-out revokes the row, a new
  password revokes every row of the account. Sessions signed in before this revision used
  the old "<user id>:<nonce>" cookie, which no row matches: everyone logs in once more.
- ``users.email_verified_at``: unverified addresses cannot book or upload. Every existing
  account is migrated as verified, with ``email_verified_at = created_at`` (they predate
  verification and have been receiving our mail). From now on accounts made by the CLI
  (``create-user``) and by ``seed-demo`` start verified as well; only self-service
  registration (the pages and ``POST /api/v1/auth/register``) starts unverified.

Password reset links need no table: a link is signed and bound to the password's generation
(``users.session_nonce``), so setting a password spends it.

The downgrade drops both; sessions then fall back to the cookie alone.
"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0006_sessions_email'
down_revision = '0005_school_coordinators'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=120), nullable=False),
    sa.Column('revoked_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', koin_media.database.UTCDateTime(timezone=True), nullable=True))

    # Accounts that exist already count as verified since they were created.
    op.execute("UPDATE users SET email_verified_at = created_at WHERE email_verified_at IS NULL")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
