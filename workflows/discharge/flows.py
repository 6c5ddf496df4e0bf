"""The LUS discharge flow (Lag 2017:612, DOMAIN §1.3).

Every human task is routed to the organisation that must act (``ACT_FOR_ORGANISATION``
on that organisation); its view calls one service in ``services.py``, which records
the fact and the deadlines. The units' branches and the ward's branch run in parallel
and each ends on its own; the process finishes when the last branch ends.

    start ─► judge? ─► send_admission_notice ─► split_units
        ├─ ack_socialtjanst ─► plan_socialtjanst
        ├─ ack_kommunal_hsv ─► plan_kommunal_hsv
        ├─ ack_vardcentral ─► appoint_fast_vardkontakt ─► plan_vardcentral
        └─ issue_ready_notice ─► split_ready
               ├─ ack_ready (vårdcentral)
               ├─ sip_kallelse (vårdcentral, when kommun and region take part)
               └─ discharge (ward): discharged ─► end, or revoked ─► issue_ready_notice

A unit's branch belongs to that unit: its answer task is routed to the unit's
organisation, and the planning task after it follows the answer task
(``_stay_with_branch_unit``), so a role can have several units. A unit that comes in
later (the notice forwarded by a unit that answered "not our resident", a unit added
or replacing another) gets a new answer task of its role's node, created by
``services._unit_answer_task_open``; its branch then runs like the first ones. The
forwarding unit's own branch ends on its rejection, and the process ends only when
the last branch has.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from coordination.backends import ACT_FOR_ORGANISATION
from workflows import nodes
from workflows.routing import OrganisationScopedFlow
from workflows.taskviews import FlowTask

from . import selectors, views
from .models import DischargeProcess, Judgement, Stage, UnitRole


def _concrete(process):
    # viewflow passes the base Process when it checks who may take a task.
    return process if isinstance(process, DischargeProcess) else process.coerced


def _ward(process):
    return _concrete(process).ward


def _unit_org(role):
    def organisation(process):
        return _concrete(process).unit_organisation(role)

    return organisation


def _vardcentral(process):
    return _concrete(process).vardcentral


def _has_unit(role):
    def condition(activation):
        return activation.process.unit_organisation(role) is not None

    return condition


ACK_NODE_NAMES = ("ack_socialtjanst", "ack_kommunal_hsv", "ack_vardcentral")


def _branch_organisation_pk(task):
    """The organisation of the unit whose branch ``task`` is on: that of the branch's
    answer task (a role may have several units, each with its own branch)."""
    seen = set()
    current = task
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        if current.flow_task is not None and current.flow_task.name in ACK_NODE_NAMES:
            return current.owner_permission_obj_pk
        current = current.previous.order_by("-pk").first()
    return None


def _branch_unit(activation, role):
    organisation_pk = _branch_organisation_pk(activation.task)
    rows = activation.process.unit_rows.filter(role=role)
    if organisation_pk:
        rows = rows.filter(organisation_id=organisation_pk)
    return rows.order_by("-notified_at", "-pk").first()


def _unit_accepted(role):
    def condition(activation):
        unit = _branch_unit(activation, role)
        return unit is not None and unit.is_active

    return condition


def _stay_with_branch_unit(activation):
    """A unit's planning task goes to the unit that answered on its branch."""
    organisation_pk = _branch_organisation_pk(activation.task)
    task = activation.task
    if organisation_pk and task.owner_permission_obj_pk != organisation_pk:
        task.owner_permission_obj_pk = organisation_pk
        task.save(update_fields=["owner_permission_obj_pk"])


def _vardcentral_active(activation):
    unit = activation.process.unit(UnitRole.VARDCENTRAL)
    return unit is not None and unit.is_active


def _kallelse_owed(activation):
    process = activation.process
    return (
        _vardcentral_active(activation)
        and process.sip_kallelse_needed
        and not process.sip_kallelse_recorded
    )


def _can_register_admissions(user):
    return selectors.user_wards(user=user).exists()


class DischargeFlow(OrganisationScopedFlow):
    """Discharge (LUS)

    Coordinated discharge from inpatient care under Lag (2017:612).
    """

    # Set explicitly: the base class's docstring would otherwise be inherited.
    process_title = _("Discharge (LUS)")
    process_description = _("Coordinated discharge from inpatient care under Lag (2017:612).")
    process_class = DischargeProcess
    lock_impl = lock.select_for_update_lock
    process_summary_template = "{{ process.individual }} – {{ process.ward }}"
    process_result_template = (
        "{{ process.individual }} – {{ process.ward }} – {{ process.get_stage_display }}"
    )

    start = (
        flow.Start(views.RegisterAdmissionView.as_view())
        .Annotation(title=_("Register admission"))
        .Available(_can_register_admissions)
        .Next(this.route_judgement)
    )
    route_judgement = (
        flow.Switch()
        .Annotation(title=_("Needs judged?"))
        .Case(this.judge, lambda a: a.process.judgement == Judgement.PENDING)
        .Case(this.send_admission_notice, lambda a: a.process.judgement == Judgement.MAY_NEED)
        .Default(this.end_no_planning)
    )
    judge = (
        FlowTask(views.JudgeView.as_view())
        .Annotation(title=_("Judge needs after discharge"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.route_after_judgement)
    )
    route_after_judgement = (
        nodes.If(lambda a: a.process.stage == Stage.ADMITTED)
        .Annotation(title=_("Interventions may be needed?"))
        .Then(this.send_admission_notice)
        .Else(this.end_no_planning)
    )
    end_no_planning = flow.End().Annotation(title=_("No LUS planning"))

    send_admission_notice = (
        FlowTask(views.AdmissionNoticeView.as_view())
        .Annotation(title=_("Send admission notice"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.split_units)
    )
    split_units = (
        flow.Split()
        .Annotation(title=_("To each unit concerned"))
        .Next(this.ack_socialtjanst, case=_has_unit(UnitRole.SOCIALTJANST))
        .Next(this.ack_kommunal_hsv, case=_has_unit(UnitRole.KOMMUNAL_HSV))
        .Next(this.ack_vardcentral, case=_has_unit(UnitRole.VARDCENTRAL))
        .Always(this.issue_ready_notice)
    )

    ack_socialtjanst = (
        FlowTask(views.UnitAnswerView.as_view(role=UnitRole.SOCIALTJANST))
        .Annotation(title=_("Answer admission notice (social services)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.SOCIALTJANST))
        .Next(this.route_socialtjanst)
    )
    route_socialtjanst = (
        nodes.If(_unit_accepted(UnitRole.SOCIALTJANST))
        .Annotation(title=_("Social services take part?"))
        .Then(this.plan_socialtjanst)
        .Else(this.end)
    )
    plan_socialtjanst = (
        FlowTask(views.PlanView.as_view(role=UnitRole.SOCIALTJANST))
        .Annotation(title=_("Plan interventions (social services)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.SOCIALTJANST))
        .onCreate(_stay_with_branch_unit)
        .Next(this.end)
    )

    ack_kommunal_hsv = (
        FlowTask(views.UnitAnswerView.as_view(role=UnitRole.KOMMUNAL_HSV))
        .Annotation(title=_("Answer admission notice (municipal health care)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.KOMMUNAL_HSV))
        .Next(this.route_kommunal_hsv)
    )
    route_kommunal_hsv = (
        nodes.If(_unit_accepted(UnitRole.KOMMUNAL_HSV))
        .Annotation(title=_("Municipal health care takes part?"))
        .Then(this.plan_kommunal_hsv)
        .Else(this.end)
    )
    plan_kommunal_hsv = (
        FlowTask(views.PlanView.as_view(role=UnitRole.KOMMUNAL_HSV))
        .Annotation(title=_("Plan interventions (municipal health care)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.KOMMUNAL_HSV))
        .onCreate(_stay_with_branch_unit)
        .Next(this.end)
    )

    ack_vardcentral = (
        FlowTask(views.UnitAnswerView.as_view(role=UnitRole.VARDCENTRAL))
        .Annotation(title=_("Answer admission notice (primary care centre)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.route_vardcentral)
    )
    route_vardcentral = (
        nodes.If(_unit_accepted(UnitRole.VARDCENTRAL))
        .Annotation(title=_("Primary care centre takes part?"))
        .Then(this.appoint_fast_vardkontakt)
        .Else(this.end)
    )
    appoint_fast_vardkontakt = (
        FlowTask(views.AppointFastVardkontaktView.as_view())
        .Annotation(title=_("Appoint designated care contact"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.plan_vardcentral)
    )
    plan_vardcentral = (
        FlowTask(views.PlanView.as_view(role=UnitRole.VARDCENTRAL))
        .Annotation(title=_("Plan interventions (primary care centre)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.end)
    )

    issue_ready_notice = (
        FlowTask(views.ReadyNoticeView.as_view())
        .Annotation(title=_("Send ready-for-discharge notice"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.split_ready)
    )
    split_ready = (
        flow.Split()
        .Annotation(title=_("Ready for discharge: to each party"))
        .Next(this.ack_ready, case=_vardcentral_active)
        .Next(this.sip_kallelse, case=_kallelse_owed)
        .Always(this.discharge)
    )
    ack_ready = (
        FlowTask(views.AcknowledgeReadyView.as_view())
        .Annotation(title=_("Acknowledge ready-for-discharge notice"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.end)
    )
    sip_kallelse = (
        FlowTask(views.SipKallelseView.as_view())
        .Annotation(title=_("Send invitation to SIP"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.end)
    )
    discharge = (
        FlowTask(views.DischargeView.as_view())
        .Annotation(title=_("Discharge or revoke"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.route_discharge)
    )
    route_discharge = (
        nodes.If(lambda a: a.process.stage == Stage.DISCHARGED)
        .Annotation(title=_("Discharged?"))
        .Then(this.end)
        .Else(this.issue_ready_notice)
    )
    end = flow.End().Annotation(title=_("Discharge case closed"))

    def may_withdraw(self, *, user, process):
        return selectors.discharge_may_withdraw(user=user, process=process)

    def withdraw_url(self, process):
        return reverse("utskrivning:withdraw", args=[process.pk])

    def visible_processes(self, *, user):
        return selectors.discharges_visible_to(user=user)
