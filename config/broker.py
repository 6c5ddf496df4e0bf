"""The Redis broker transport, with a fix for a worker exit on a lost connection.

kombu 5.7.0 with celery 5.7.0 (the newest releases; see uv.lock): when the connection to
Redis drops while an ``acks_late`` task runs, the consumer first *collects* the
connection (which sets ``transport.client`` to None) and then closes it; closing the
channel tries to restore the unacknowledged message, builds a new Redis connection pool
from ``transport.client.hostname`` and dies with ``AttributeError: 'NoneType' object has
no attribute 'hostname'`` — an "Unrecoverable error" that ends the worker process
(``celery/worker/consumer/consumer.py``, ``on_connection_error_after_connected``).

Restoring at that moment cannot succeed anyway (Redis is unreachable), and the message
is not lost without it: it stays in Redis's ``unacked`` hash and is restored after the
visibility timeout by any worker; the outbox and the deadlines are in PostgreSQL and
are found again by the next beat run regardless. So the channel reports the closed
connection as a *connection error*, which kombu's close path ignores, and the worker
reconnects instead of exiting. ``CELERY_BROKER_TRANSPORT`` selects this class for
``redis://`` and ``rediss://`` URLs; ``tests/reliability`` kills Redis mid-task.
"""

import logging

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            logger.info("broker connection already closed: unacknowledged messages wait")
            raise RedisConnectionError("broker connection already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
