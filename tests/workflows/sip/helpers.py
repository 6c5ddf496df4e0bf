"""Drive SipFlow through its pages, as a user would."""

from django.urls import get_resolver
from django.utils import timezone
from viewflow.workflow.status import STATUS

from workflows.sip.flows import SipFlow
from workflows.sip.models import SipProcess


def _urls_loaded():
    # viewflow nodes learn their URL namespace when the Site builds its patterns.
    assert get_resolver().url_patterns


def start_sip(
    client, user, *, individual, organisation, participants=(), reason="Behov av samordning"
):
    _urls_loaded()
    client.force_login(user)
    response = client.post(
        SipFlow.start.reverse("execute"),
        {
            "personal_identity_number": individual.personal_identity_number,
            "initiating_organisation": organisation.pk,
            "reason": reason,
            "participants": [o.pk for o in participants],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SipProcess.objects.order_by("-pk").first()


def open_task(sip, node):
    return sip.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def take_task(client, user, sip, node):
    """Assign the open task of ``node`` to ``user``; returns its execute URL."""
    _urls_loaded()
    client.force_login(user)
    task = open_task(sip, node)
    if task.status == STATUS.NEW:
        response = client.post(node.reverse("assign", args=[sip.pk, task.pk]))
        assert response.status_code == 302, response.status_code
    return node.reverse("execute", args=[sip.pk, task.pk])


def do_task(client, user, sip, node, data):
    """Assign the open task of ``node`` to ``user`` and execute it with ``data``."""
    return client.post(take_task(client, user, sip, node), data)


def local_input(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
