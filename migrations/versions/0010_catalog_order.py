"""catalogue order indexes and generation

Revision ID: 0010_catalog_order
Revises: 0009_job_leases
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0010_catalog_order'
down_revision = '0009_job_leases'
branch_labels = None
depends_on = None

# The public catalogue read in its own order (status = 'approved', then newest first or most
# downloaded first). The newest index also carries every column a filter or a facet reads, so
# filtered pages and facet counts never visit the table (koin_media/assets/catalog.py). Not
# partial indexes: SQLite's planner then sometimes preferred ix_assets_status_created and a sort.
NEWEST = ("status", "approved_at", "id", "kind", "license", "community_id", "regency_id", "venue_id")
POPULAR = ("status", "download_count", "approved_at", "id")


def upgrade():
    op.create_table(
        'catalog_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_state')),
    )
    op.execute("INSERT INTO catalog_state (id, generation) VALUES (1, 0)")
    op.create_index('ix_assets_catalog_newest', 'assets', list(NEWEST))
    op.create_index('ix_assets_catalog_popular', 'assets', list(POPULAR))
    # Superseded: the catalogue indexes serve every read by approval date.
    with op.batch_alter_table('assets') as batch_op:
        batch_op.drop_index('ix_assets_approved_at')


def downgrade():
    with op.batch_alter_table('assets') as batch_op:
        batch_op.create_index('ix_assets_approved_at', ['approved_at'], unique=False)
    op.drop_index('ix_assets_catalog_popular', table_name='assets')
    op.drop_index('ix_assets_catalog_newest', table_name='assets')
    op.drop_table('catalog_state')
