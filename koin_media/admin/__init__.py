"""Office tools: the staff's landing page of queues, the user list for staff, account
activation for admins."""

from flask import Blueprint

# No url_prefix: the staff's landing page is /staff, the tools live under /admin/.
bp = Blueprint("admin", __name__)
