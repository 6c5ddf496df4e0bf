"""gunicorn settings for Kardborre: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be set from the environment (docs/deploy.md). gunicorn also reads
``FORWARDED_ALLOW_IPS`` itself: the addresses of the TLS proxy whose X-Forwarded-Proto it
trusts.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Web requests are short database work: a few synchronous workers per core.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # PDFs and exports included
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests, so a slow leak never takes the site down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Heartbeat files in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The application logs JSON lines itself (config/logging.py); the proxy keeps the access
# log. GUNICORN_ACCESSLOG=- writes one here too (path without query string: a query can
# hold a search term).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's control socket (gunicornc) is not used; it would need a writable $HOME, which
# the read-only container does not have.
control_socket_disable = True
