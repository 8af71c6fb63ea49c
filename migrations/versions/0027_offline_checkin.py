"""offline check-in at the gate: the operations the server has applied

``gate_operations`` keeps one row per check-in made offline at the gate and applied at sync,
written in the same transaction as the check-in; ``operation_id`` (the device's UUID) is
unique, so the same operation sent twice is applied once (visits/gate.py). A new table: no
existing row to migrate; the downgrade drops it.

Revision ID: 0027_offline_checkin
Revises: 0026_certificates_feedback
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0027_offline_checkin"
down_revision = "0026_certificates_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gate_operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("teachers", sa.Integer(), nullable=False),
        sa.Column("happened_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('check_in')", name=op.f("ck_gate_operations_action_known")),
        sa.CheckConstraint("students >= 0 AND teachers >= 0", name=op.f("ck_gate_operations_attendance_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_gate_operations_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_gate_operations_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_operations")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_gate_operations_operation_id")),
    )
    with op.batch_alter_table("gate_operations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_operations_booking_id"), ["booking_id"], unique=False)


def downgrade():
    with op.batch_alter_table("gate_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_operations_booking_id"))
    op.drop_table("gate_operations")
