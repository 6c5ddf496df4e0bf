"""Celery finds tasks in each installed app's ``tasks`` module; the deviation register's
live in ``coordination.deviations.tasks`` and are registered by importing them here."""

from coordination.deviations.tasks import refresh_dashboards, remind_late_answers

__all__ = ["refresh_dashboards", "remind_late_answers"]
