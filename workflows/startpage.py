"""The start page "Mina ärenden": what the signed-in user's organisations owe, first due first.

It reads tasks and deadlines of both flows, so it lives here above them. Every read goes
through the one access rule (``coordination.access``): a row is listed only when its case
is visible to the user. A MAS starts on the MAS dashboard instead.
"""

import datetime as dt

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from coordination import access
from coordination.backends import ACT_FOR_ORGANISATION
from coordination.selectors import mas_kommuner

from .discharge.flows import DischargeFlow
from .discharge.models import DischargeUnit, MessageSecondChannel, ReadyForDischargeNotice
from .models import Deadline
from .routing import tasks_queue_of
from .sip.flows import SipFlow
from .sip.models import Invitation, SipProcess

FLOW_CLASSES = [DischargeFlow, SipFlow]
PAGE_SIZE = 25
#: SIP stages in which an invitation still waits for an answer.
SIP_OPEN_STAGES = (SipProcess.Stage.INVITATION, SipProcess.Stage.MEETING)


def due_in_words(due_at: dt.datetime, *, now: dt.datetime) -> str:
    """Time left or overdue in words: "om 2 dagar", "förfallen sedan 3 h".

    Under an hour in minutes, under two days in hours, else in whole days; always
    rounded down, so "om 1 h" means at least an hour is left.
    """
    delta = due_at - now
    seconds = abs(delta.total_seconds())
    if seconds < 60 * 60:
        count = int(seconds // 60)
        span = ngettext("%(count)d min", "%(count)d min", count) % {"count": count}
    elif seconds < 48 * 60 * 60:
        count = int(seconds // (60 * 60))
        span = ngettext("%(count)d h", "%(count)d h", count) % {"count": count}
    else:
        count = int(seconds // (24 * 60 * 60))
        span = ngettext("%(count)d day", "%(count)d days", count) % {"count": count}
    if delta.total_seconds() < 0:
        return _("overdue by %(span)s") % {"span": span}
    return _("in %(span)s") % {"span": span}


# --- Selectors ---------------------------------------------------------------------------


def _org_pks(*, user) -> list[int]:
    return list(access.acting_organisations(user=user).values_list("pk", flat=True))


def start_page_tasks(*, user):
    """Open human tasks of both flows for the user: assigned to them (and routed to one of
    their organisations, as the inbox) or waiting in one of their organisations' queues.

    Each task carries ``due_at``: the earliest open deadline of its case owed by the
    organisation the task is routed to (None when it owes none). Ordered by it, overdue
    first, tasks without a deadline last.
    """
    org_pks = [str(pk) for pk in _org_pks(user=user)]
    visible = access.processes_visible_to(user=user).values("pk")
    queued = tasks_queue_of(user=user, flow_classes=FLOW_CLASSES).values("pk")
    due = (
        Deadline.objects.filter(
            process_id=OuterRef("process_id"),
            status=Deadline.Status.OPEN,
            responsible_organisation_id=Cast(OuterRef("owner_permission_obj_pk"), IntegerField()),
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return (
        Task.objects.filter(
            Q(pk__in=queued)
            | Q(
                owner=user,
                status=STATUS.ASSIGNED,
                owner_permission=ACT_FOR_ORGANISATION,
                owner_permission_obj_pk__in=org_pks,
            ),
            process__flow_class__in=FLOW_CLASSES,
            flow_task_type="HUMAN",
            process_id__in=visible,
        )
        .annotate(due_at=Subquery(due))
        .select_related("process")
        .order_by(F("due_at").asc(nulls_last=True), "created", "pk")
    )


def unanswered_admission_notices(*, user):
    """Admission notices to one of the user's units that the unit has not answered."""
    return (
        DischargeUnit.objects.filter(
            organisation_id__in=_org_pks(user=user),
            ack_state=DischargeUnit.AckState.PENDING,
            notified_at__isnull=False,
            superseded_at__isnull=True,
            process__status=PROCESS.NEW,
            process_id__in=access.processes_visible_to(user=user).values("pk"),
        )
        .select_related("process__individual", "organisation")
        .order_by("notified_at", "pk")
    )


def unacknowledged_ready_notices(*, user):
    """Current ready-for-discharge notices that the user's vårdcentral, the one taking
    part in the discharge, has not acknowledged."""
    units = DischargeUnit.objects.filter(
        role="VARDCENTRAL",
        organisation_id__in=_org_pks(user=user),
        superseded_at__isnull=True,
    ).exclude(ack_state=DischargeUnit.AckState.REJECTED_NOT_RESIDENT)
    return (
        ReadyForDischargeNotice.objects.filter(
            acknowledged_at__isnull=True,
            revoked_at__isnull=True,
            process__status=PROCESS.NEW,
            process_id__in=units.values("process_id"),
        )
        .filter(process_id__in=access.processes_visible_to(user=user).values("pk"))
        .select_related("process__individual")
        .order_by("issued_at", "pk")
    )


def unanswered_sip_invitations(*, user):
    """SIP invitations sent to one of the user's organisations and not yet answered."""
    return (
        Invitation.objects.filter(
            kind=Invitation.Kind.ORGANISATION,
            organisation_id__in=_org_pks(user=user),
            state__in=[Invitation.State.SENT, Invitation.State.ACKNOWLEDGED],
            meeting__sip__stage__in=SIP_OPEN_STAGES,
            meeting__sip_id__in=access.processes_visible_to(user=user).values("pk"),
        )
        .select_related("meeting__sip__individual", "organisation")
        .order_by("meeting__starts_at", "pk")
    )


def invitations_waiting_for_second_channel(*, user):
    """Invitations of SIPs initiated by one of the user's organisations that cannot go out
    until the unreachable recipient is reached another way."""
    return (
        Invitation.objects.filter(
            state=Invitation.State.DRAFT,
            needs_second_channel=True,
            second_channel_at__isnull=True,
            meeting__sip__initiating_organisation_id__in=_org_pks(user=user),
            meeting__sip__stage__in=SIP_OPEN_STAGES,
            meeting__sip_id__in=access.processes_visible_to(user=user).values("pk"),
        )
        .select_related("meeting__sip__individual", "organisation")
        .order_by("meeting__starts_at", "pk")
    )


def lus_messages_waiting_for_second_channel(*, user):
    """Units of the user's wards' open discharges that a LUS message (admission
    notice, the ready-for-discharge notice in force, information at discharge) has not
    reached yet: the planning IT support may not reach them and no second channel is
    recorded (the rule of ``discharge.services.second_channel_pending``)."""
    Message = MessageSecondChannel.Message
    channels = MessageSecondChannel.objects.filter(unit=OuterRef("pk"))
    notices = ReadyForDischargeNotice.objects.filter(
        process=OuterRef("process"), revoked_at__isnull=True
    )
    admission = ~Exists(channels.filter(message=Message.ADMISSION_NOTICE))
    ready = Exists(notices) & ~Exists(
        channels.filter(message=Message.READY_NOTICE, ready_notice__revoked_at__isnull=True)
    )
    information = Q(process__discharge_information_sent_at__isnull=False) & ~Exists(
        channels.filter(message=Message.DISCHARGE_INFORMATION)
    )
    return (
        DischargeUnit.objects.filter(
            needs_second_channel=True,
            notified_at__isnull=False,
            superseded_at__isnull=True,
            process__ward_id__in=_org_pks(user=user),
            process__status=PROCESS.NEW,
            process_id__in=access.processes_visible_to(user=user).values("pk"),
        )
        .exclude(ack_state=DischargeUnit.AckState.REJECTED_NOT_RESIDENT)
        .filter(admission | ready | information)
        .annotate(
            admission_waiting=admission,
            ready_waiting=ready,
            information_waiting=information,
        )
        .select_related("process__individual", "organisation")
        .order_by("notified_at", "pk")
    )


# --- View --------------------------------------------------------------------------------


def _page(request, queryset, param):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return {
        "page_obj": page,
        "rows": list(page.object_list),
        "count": page.paginator.count,
        "param": param,
        "query_string": query.urlencode(),
    }


class StartPageView(LoginRequiredMixin, View):
    """``/``: "Mina ärenden". ``?mina=1`` shows it to a MAS too (the link back from the
    dashboard)."""

    template_name = "workflows/start_page.html"

    def get(self, request):
        if not request.GET.get("mina") and mas_kommuner(user=request.user):
            return redirect(reverse("oversight:dashboard"))
        now = timezone.now()
        tasks = _page(request, start_page_tasks(user=request.user), "uppgifter")
        for task in tasks["rows"]:
            task.case = task.process.coerced
            task.is_overdue = task.due_at is not None and task.due_at < now
            task.due_words = due_in_words(task.due_at, now=now) if task.due_at else ""
            task.is_mine = task.owner_id == request.user.pk
        admission = _page(request, unanswered_admission_notices(user=request.user), "inskrivning")
        ready = _page(request, unacknowledged_ready_notices(user=request.user), "utskrivningsklar")
        sip = _page(request, unanswered_sip_invitations(user=request.user), "sip")
        second = _page(
            request, invitations_waiting_for_second_channel(user=request.user), "andra_kanal"
        )
        second_lus = _page(
            request, lus_messages_waiting_for_second_channel(user=request.user), "andra_kanal_lus"
        )
        return render(
            request,
            self.template_name,
            {
                "tasks": tasks,
                "overdue_count": start_page_tasks(user=request.user).filter(due_at__lt=now).count(),
                "admission": admission,
                "ready": ready,
                "sip": sip,
                "second": second,
                "second_lus": second_lus,
                "second_count": second["count"] + second_lus["count"],
                "messages_count": admission["count"] + ready["count"] + sip["count"],
                "is_mas": bool(mas_kommuner(user=request.user)),
            },
        )
