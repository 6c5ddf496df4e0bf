from django.test import Client
from django.urls import get_resolver
from viewflow.workflow.status import STATUS

from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess


def _load_urls():
    # Node URLs are namespaced under the site only once the URLconf is loaded.
    get_resolver().url_patterns  # noqa: B018


def client_for(user):
    _load_urls()
    client = Client()
    client.force_login(user)
    return client


def start(client, **data):
    return client.post(DischargeFlow.start.reverse("execute"), data)


def open_task(process, node):
    return process.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def assign(client, process, node):
    task = open_task(process, node)
    return client.post(node.reverse("assign", args=[process.pk, task.pk])), task


def do(client, process, node, data):
    """Take the task from the queue and submit its form, as a user would."""
    response, task = assign(client, process, node)
    assert response.status_code == 302, (response, task.status, task.owner_permission_obj)
    url = node.reverse("execute", args=[process.pk, task.pk])
    form_page = client.get(url)
    assert form_page.status_code == 200, form_page  # the form renders for its owner
    assert "Spara" in form_page.content.decode()
    return client.post(url, data)


def fresh(process):
    return DischargeProcess.objects.get(pk=process.pk)


def deadline(process, kind, **filters):
    return process.deadlines.exclude(status="CANCELLED").get(kind=kind, **filters)
