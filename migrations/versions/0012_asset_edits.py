"""published assets keep their live version while an edit waits for review

Revision ID: 0012_asset_edits
Revises: 0011_search_stems
Create Date: 2026-11-30 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0012_asset_edits'
down_revision = '0011_search_stems'
branch_labels = None
depends_on = None


# An edit of a published asset waits beside it (pending_changes: the reviewed fields' new values)
# while the live version stays public. Both columns are NULL for every existing asset: no edit
# waits, so nothing needs back-filling.


def upgrade():
    with op.batch_alter_table('assets') as batch_op:
        batch_op.add_column(sa.Column('pending_changes', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('edit_submitted_at', koin_media.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_assets_edit_submitted', ['status', 'edit_submitted_at'], unique=False)


def downgrade():
    # A pending edit has nowhere to go in the older schema: it is dropped, the live version stays.
    with op.batch_alter_table('assets') as batch_op:
        batch_op.drop_index('ix_assets_edit_submitted')
        batch_op.drop_column('edit_submitted_at')
        batch_op.drop_column('pending_changes')
