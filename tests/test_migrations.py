"""The committed migrations build the schema from empty, and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from koin_media.database import include_in_autogenerate
from koin_media.extensions import db


def _differences():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_in_autogenerate}
        )
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    assert _differences() == []


def test_downgrade_to_empty_and_upgrade_again(app):
    db.session.remove()
    downgrade(revision="base")
    with db.engine.connect() as conn:
        remaining = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
    remaining = {name for name in remaining if not name.startswith("sqlite_")}
    assert remaining == set()
    upgrade()
    assert _differences() == []
