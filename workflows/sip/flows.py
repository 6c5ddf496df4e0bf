"""SipFlow: initiate → consent → invite → meeting → plan → follow-up → revise or close.

Every human step is routed to the initiating organisation (ACT_FOR_ORGANISATION): any
active member may take it from the queue; the follow-up goes to the organisation of the
plan's lead person, which also owns the follow-up deadline. At discharge the region's vårdcentral
initiates (DOMAIN.md §2.2).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from coordination.backends import ACT_FOR_ORGANISATION
from workflows import nodes
from workflows.routing import OrganisationScopedFlow
from workflows.taskviews import FlowTask

from . import services, views
from .models import SipProcess
from .selectors import sip_may_withdraw, user_can_initiate_sip


def _initiator(process):
    # viewflow passes the base Process on some paths (can_assign) and the SipProcess
    # on others (task creation); ``coerced`` gives the SipProcess in both cases.
    return process.coerced.initiating_organisation


def _follow_up_owner(process):
    # The lead person's organisation, as the follow-up deadline (one owner for both).
    return services.follow_up_organisation(process.coerced)


def _can_initiate(user):
    return user_can_initiate_sip(user=user)


class SipFlow(OrganisationScopedFlow):
    """SIP

    Coordinated individual plan (SoL 2 kap. 7 §, HSL 16 kap. 4 §).
    """

    process_class = SipProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("SIP")
    process_description = _("Coordinated individual plan")
    process_summary_template = "SIP #{{ process.pk }} – {{ process.get_stage_display }}"

    start = (
        flow.Start(views.InitiateView.as_view())
        .Annotation(title=_("Initiate a SIP"))
        .Available(_can_initiate)
        .Next(this.consent)
    )
    start_from_discharge = (
        flow.StartHandle(this.fill_from_discharge)
        .Annotation(title=_("SIP called at discharge"))
        .Next(this.consent)
    )
    consent = (
        FlowTask(views.ConsentView.as_view())
        .Annotation(title=_("Record consent"))
        .Permission(ACT_FOR_ORGANISATION, obj=_initiator)
        .Next(this.consent_given)
    )
    consent_given = (
        nodes.If(lambda activation: activation.process.consent_in_force)
        .Annotation(title=_("Consent given?"))
        .Then(this.invite)
        .Else(this.declined)
    )
    invite = (
        FlowTask(views.InviteView.as_view())
        .Annotation(title=_("Invite to the SIP meeting"))
        .Permission(ACT_FOR_ORGANISATION, obj=_initiator)
        .Next(this.meeting)
    )
    meeting = (
        FlowTask(views.MeetingView.as_view())
        .Annotation(title=_("Record the meeting"))
        .Permission(ACT_FOR_ORGANISATION, obj=_initiator)
        .Next(this.plan)
    )
    plan = (
        FlowTask(views.PlanView.as_view())
        .Annotation(title=_("Write the plan"))
        .Permission(ACT_FOR_ORGANISATION, obj=_initiator)
        .Next(this.follow_up)
    )
    follow_up = (
        FlowTask(views.FollowUpView.as_view())
        .Annotation(title=_("Follow up the plan"))
        .Permission(ACT_FOR_ORGANISATION, obj=_follow_up_owner)
        .Next(this.closed_or_revised)
    )
    closed_or_revised = (
        nodes.If(lambda activation: activation.process.stage == SipProcess.Stage.CLOSED)
        .Annotation(title=_("Close the SIP?"))
        .Then(this.end)
        .Else(this.plan)
    )
    declined = flow.End().Annotation(title=_("Consent declined"))
    end = flow.End().Annotation(title=_("SIP closed"))

    def fill_from_discharge(self, activation, *, discharge_process, by):
        return services._fill_from_discharge(activation, discharge_process=discharge_process, by=by)

    def may_withdraw(self, *, user, process):
        return sip_may_withdraw(user=user, sip=process)

    def withdraw_url(self, process):
        return reverse("sips:withdraw", args=[process.pk])
