"""The Celery app. Reliability settings live in config.settings (CELERY_* names).

Deadlines live in PostgreSQL and are swept by beat; Celery only carries work, so a
lost message never loses a timer (see README, "Design decisions").
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kardborre")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
