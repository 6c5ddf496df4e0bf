"""Absolute links to case pages, for emails (sent by workers, outside any request)."""

import logging

from django.urls import NoReverseMatch

from notifications.links import absolute_url

logger = logging.getLogger(__name__)


def case_url(process) -> str:
    """The absolute URL of the case page of ``process`` (a viewflow Process or subclass).

    The concrete process model (``process.flow_class.process_class``) decides where its
    case page is through ``get_absolute_url()``; without one, viewflow's process detail
    page of the flow is used, and failing that the site root.
    """
    flow_class = getattr(process, "flow_class", None)
    if not isinstance(flow_class, type):  # an unknown flow loads as None
        flow_class = None
    concrete = process
    if flow_class is not None:
        process_class = flow_class.process_class
        if not isinstance(process, process_class):
            concrete = process_class._default_manager.filter(pk=process.pk).first() or process
    get_absolute_url = getattr(concrete, "get_absolute_url", None)
    if get_absolute_url is not None:
        try:
            return absolute_url(get_absolute_url())
        except NoReverseMatch:
            logger.warning("no case page for process %s", process.pk)
    if flow_class is not None:
        try:
            return absolute_url(flow_class.instance.reverse("process_detail", args=[process.pk]))
        except (NoReverseMatch, AttributeError):
            logger.warning("no process detail page for process %s", process.pk)
    return absolute_url("/")
