"""the licence and credit line each download was made under

Revision ID: 0015_download_terms
Revises: 0014_school_levels
Create Date: 2026-11-30 22:20:00.000000

``asset_downloads.license`` and ``asset_downloads.credit_line``: the terms a business got a
file under. Since published assets' licence and credit edits can be approved (0012), the
asset's current terms are no longer those of a copy taken earlier, so "Unduhan saya" and
``/api/v1/me/downloads`` show what the download recorded.

Existing downloads take the asset's terms as they are now: nothing older was kept, and until
now these pages showed exactly these terms, so nobody sees a change. The licence is a column;
the credit line is built in Python (``Asset.credit_line``: the credit or the owner's name, the
community unless the credit already names it, title and licence), which SQL cannot repeat
portably. It is back-filled here in Python, in batches of ids, with a frozen copy of that rule
(not imported: this revision must migrate the same way whatever the application code later
becomes). Back-filling, rather than leaving it NULL and showing the asset's live line, matters:
a live line would carry a licence approved after the download next to the recorded licence.
Downloads of an asset without a licence keep both NULL. The downgrade drops the columns.
"""

import re

import sqlalchemy as sa
from alembic import op

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0015_download_terms"
down_revision = "0014_school_levels"
branch_labels = None
depends_on = None

BATCH = 500

downloads = sa.table(
    "asset_downloads",
    sa.column("id", sa.Integer),
    sa.column("asset_id", sa.Integer),
    sa.column("license", sa.String),
    sa.column("credit_line", sa.Text),
)
assets = sa.table(
    "assets",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("community_id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("credit", sa.String),
    sa.column("license", sa.String),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String))
communities = sa.table("communities", sa.column("id", sa.Integer), sa.column("name", sa.String))

# Asset.credit_line as of this revision.
CREDIT_PARTS = re.compile(r"\s*[/,;|·&]\s*")


def _same_name(name):
    return " ".join(name.split()).casefold()


def credit_line(title, credit, owner_name, community, license):
    who = " ".join((credit or "").split()) or (owner_name or "")
    community = community or ""
    if community and _same_name(community) not in {_same_name(part) for part in CREDIT_PARTS.split(who)}:
        who = f"{who} / {community}"
    return f"{title} — {who}, {license} (KOIN Media NTB)"


def upgrade():
    with op.batch_alter_table("asset_downloads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("license", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("credit_line", sa.Text(), nullable=True))

    bind = op.get_bind()
    terms = (
        sa.select(downloads.c.id, assets.c.title, assets.c.credit, users.c.name, communities.c.name, assets.c.license)
        .select_from(downloads)
        .join(assets, assets.c.id == downloads.c.asset_id)
        .join(users, users.c.id == assets.c.owner_id)
        .outerjoin(communities, communities.c.id == assets.c.community_id)
        .where(assets.c.license.is_not(None), assets.c.license != "")
        .order_by(downloads.c.id)
    )
    last = 0
    while True:
        rows = bind.execute(terms.where(downloads.c.id > last).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(
            downloads.update()
            .where(downloads.c.id == sa.bindparam("download_id"))
            .values(license=sa.bindparam("terms_license"), credit_line=sa.bindparam("terms_line")),
            [
                {
                    "download_id": download_id,
                    "terms_license": license,
                    "terms_line": credit_line(title, credit, owner_name, community, license),
                }
                for download_id, title, credit, owner_name, community, license in rows
            ],
        )
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table("asset_downloads", schema=None) as batch_op:
        batch_op.drop_column("credit_line")
        batch_op.drop_column("license")
