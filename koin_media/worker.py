"""Entry point of the queue consumer: ``huey_consumer koin_media.worker.huey``.

Importing this module registers every job; each runs inside the app's context.
"""

from .jobs import huey  # noqa: F401

__all__ = ["huey"]
