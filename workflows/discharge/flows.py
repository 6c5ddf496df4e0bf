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
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow import utils as flow_utils
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from coordination.backends import ACT_FOR_ORGANISATION
from workflows.routing import OrganisationScopedFlow, OrganisationTask

from . import selectors, views
from .models import DischargeProcess, DischargeUnit, Judgement, Stage, UnitRole


def _refusal_message(request, task):
    """A clear sentence for a user who lost a race or repeats a step."""
    if task.status == STATUS.DONE:
        who = task.owner.get_full_name() if task.owner else ""
        when = (
            formats.date_format(timezone.localtime(task.finished), "j b Y H:i")
            if task.finished
            else ""
        )
        return _("This step has already been done by %(who)s (%(when)s).") % {
            "who": who,
            "when": when,
        }
    if task.status == STATUS.CANCELED:
        return _("This step is no longer needed.")
    if task.owner_id and task.owner_id != request.user.pk:
        return _("This step has already been taken by %(who)s.") % {
            "who": task.owner.get_full_name() or task.owner.get_username()
        }
    return None


def _friendly(view_func):
    """Turn viewflow's bare 403 for a lost race into a message on the case page.

    Only for users who may see the case; anyone else keeps the 403.
    """

    def wrapper(request, *args, **kwargs):
        try:
            return view_func(request, *args, **kwargs)
        except (PermissionDenied, FlowLockFailed) as exc:
            task = (
                Task.objects.filter(pk=kwargs.get("task_pk"), process_id=kwargs.get("process_pk"))
                .select_related("owner")
                .first()
            )
            if task is None:
                raise
            process = (
                selectors.discharges_visible_to(user=request.user)
                .filter(pk=task.process_id)
                .first()
            )
            if process is None:
                raise
            if isinstance(exc, FlowLockFailed):
                message = _("Someone else is saving this case right now. Try again.")
            else:
                message = _refusal_message(request, task)
                if message is None:
                    raise
            messages.error(request, message)
            return redirect(process.get_absolute_url())

    wrapper.__name__ = getattr(view_func, "__name__", "view")
    return wrapper


class DischargeTask(OrganisationTask):
    """A human task whose refusals after a race are explained, not bare 403s."""

    @property
    def view_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            _friendly(flow_utils.wrap_view(self, self.view)),
            name="execute",
        )

    @property
    def assign_path(self):
        if self.assign_view:
            return path(
                f"<int:process_pk>/{self.name}/<int:task_pk>/assign/",
                _friendly(
                    flow_utils.wrap_task_view(self, self.assign_view, permission=self.can_assign)
                ),
                name="assign",
            )


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


def _unit_accepted(role):
    def condition(activation):
        unit = activation.process.unit(role)
        return unit is not None and unit.ack_state != DischargeUnit.AckState.REJECTED_NOT_RESIDENT

    return condition


def _vardcentral_active(activation):
    return _unit_accepted(UnitRole.VARDCENTRAL)(activation)


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
        .Case(this.judge, lambda a: a.process.judgement == Judgement.PENDING)
        .Case(this.send_admission_notice, lambda a: a.process.judgement == Judgement.MAY_NEED)
        .Default(this.end_no_planning)
    )
    judge = (
        DischargeTask(views.JudgeView.as_view())
        .Annotation(title=_("Judge needs after discharge"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.route_after_judgement)
    )
    route_after_judgement = (
        flow.If(lambda a: a.process.stage == Stage.ADMITTED)
        .Then(this.send_admission_notice)
        .Else(this.end_no_planning)
    )
    end_no_planning = flow.End().Annotation(title=_("No LUS planning"))

    send_admission_notice = (
        DischargeTask(views.AdmissionNoticeView.as_view())
        .Annotation(title=_("Send admission notice"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.split_units)
    )
    split_units = (
        flow.Split()
        .Next(this.ack_socialtjanst, case=_has_unit(UnitRole.SOCIALTJANST))
        .Next(this.ack_kommunal_hsv, case=_has_unit(UnitRole.KOMMUNAL_HSV))
        .Next(this.ack_vardcentral, case=_has_unit(UnitRole.VARDCENTRAL))
        .Always(this.issue_ready_notice)
    )

    ack_socialtjanst = (
        DischargeTask(views.UnitAnswerView.as_view(role=UnitRole.SOCIALTJANST))
        .Annotation(title=_("Answer admission notice (social services)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.SOCIALTJANST))
        .Next(this.route_socialtjanst)
    )
    route_socialtjanst = (
        flow.If(_unit_accepted(UnitRole.SOCIALTJANST)).Then(this.plan_socialtjanst).Else(this.end)
    )
    plan_socialtjanst = (
        DischargeTask(views.PlanView.as_view(role=UnitRole.SOCIALTJANST))
        .Annotation(title=_("Plan interventions (social services)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.SOCIALTJANST))
        .Next(this.end)
    )

    ack_kommunal_hsv = (
        DischargeTask(views.UnitAnswerView.as_view(role=UnitRole.KOMMUNAL_HSV))
        .Annotation(title=_("Answer admission notice (municipal health care)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.KOMMUNAL_HSV))
        .Next(this.route_kommunal_hsv)
    )
    route_kommunal_hsv = (
        flow.If(_unit_accepted(UnitRole.KOMMUNAL_HSV)).Then(this.plan_kommunal_hsv).Else(this.end)
    )
    plan_kommunal_hsv = (
        DischargeTask(views.PlanView.as_view(role=UnitRole.KOMMUNAL_HSV))
        .Annotation(title=_("Plan interventions (municipal health care)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_unit_org(UnitRole.KOMMUNAL_HSV))
        .Next(this.end)
    )

    ack_vardcentral = (
        DischargeTask(views.UnitAnswerView.as_view(role=UnitRole.VARDCENTRAL))
        .Annotation(title=_("Answer admission notice (primary care centre)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.route_vardcentral)
    )
    route_vardcentral = (
        flow.If(_vardcentral_active).Then(this.appoint_fast_vardkontakt).Else(this.end)
    )
    appoint_fast_vardkontakt = (
        DischargeTask(views.AppointFastVardkontaktView.as_view())
        .Annotation(title=_("Appoint designated care contact"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.plan_vardcentral)
    )
    plan_vardcentral = (
        DischargeTask(views.PlanView.as_view(role=UnitRole.VARDCENTRAL))
        .Annotation(title=_("Plan interventions (primary care centre)"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.end)
    )

    issue_ready_notice = (
        DischargeTask(views.ReadyNoticeView.as_view())
        .Annotation(title=_("Send ready-for-discharge notice"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.split_ready)
    )
    split_ready = (
        flow.Split()
        .Next(this.ack_ready, case=_vardcentral_active)
        .Next(this.sip_kallelse, case=_kallelse_owed)
        .Always(this.discharge)
    )
    ack_ready = (
        DischargeTask(views.AcknowledgeReadyView.as_view())
        .Annotation(title=_("Acknowledge ready-for-discharge notice"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.end)
    )
    sip_kallelse = (
        DischargeTask(views.SipKallelseView.as_view())
        .Annotation(title=_("Send invitation to SIP"))
        .Permission(ACT_FOR_ORGANISATION, obj=_vardcentral)
        .Next(this.end)
    )
    discharge = (
        DischargeTask(views.DischargeView.as_view())
        .Annotation(title=_("Discharge or revoke"))
        .Permission(ACT_FOR_ORGANISATION, obj=_ward)
        .Next(this.route_discharge)
    )
    route_discharge = (
        flow.If(lambda a: a.process.stage == Stage.DISCHARGED)
        .Then(this.end)
        .Else(this.issue_ready_notice)
    )
    end = flow.End()

    def may_withdraw(self, *, user, process):
        return selectors.discharge_may_withdraw(user=user, process=process)

    def withdraw_url(self, process):
        return reverse("utskrivning:withdraw", args=[process.pk])

    def visible_processes(self, *, user):
        return selectors.discharges_visible_to(user=user)
