"""Entry point of the queue consumer: ``huey_consumer koin_media.worker.huey``.

The consumer starts from this module path, not from ``create_app``: building the app here
imports every feature package, so every job (asset processing, booking housekeeping, mail) is
registered before the consumer reads the queue.
"""

from .jobs import queue, worker_app

huey = queue  # the real queue, never the inline one: the consumer is what runs it
worker_app()

__all__ = ["huey"]
