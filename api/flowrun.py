"""Drive the flows' nodes as their task pages do: take the open task of a node for the
client's service user, call the one service, complete the task. The flows and their
services stay the only place where a step is decided."""

from types import SimpleNamespace

from viewflow.workflow.status import STATUS

from workflows.discharge import services
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, UnitRole
from workflows.sip import services as sip_services
from workflows.sip.flows import SipFlow
from workflows.sip.models import SipProcess

from .problems import Problem

UNIT_ANSWER_NODES = {
    UnitRole.SOCIALTJANST: DischargeFlow.ack_socialtjanst,
    UnitRole.KOMMUNAL_HSV: DischargeFlow.ack_kommunal_hsv,
    UnitRole.VARDCENTRAL: DischargeFlow.ack_vardcentral,
}

UNIT_PLAN_NODES = {
    UnitRole.SOCIALTJANST: DischargeFlow.plan_socialtjanst,
    UnitRole.KOMMUNAL_HSV: DischargeFlow.plan_kommunal_hsv,
    UnitRole.VARDCENTRAL: DischargeFlow.plan_vardcentral,
}


def discharge_start(*, user, **facts) -> DischargeProcess:
    """Register an admission through the flow's start node (``discharge_register``)."""
    node = DischargeFlow.start
    activation = node.activation_class.create(node, None, None)
    activation.start(SimpleNamespace(user=user))
    services.discharge_register(process=activation.process, by=user, **facts)
    activation.execute()
    return activation.process


def sip_start(*, user, **facts) -> SipProcess:
    """Initiate a SIP through the flow's start node (``sip_initiate``, as the page)."""
    node = SipFlow.start
    activation = node.activation_class.create(node, None, None)
    activation.start(SimpleNamespace(user=user))
    return sip_services.sip_initiate(activation=activation, by=user, **facts)


def _run_step(*, flow, process, node, user, service, organisation=None, **kwargs):
    """Complete the open task of ``node`` through ``service``. With ``organisation``,
    only a task routed to that organisation is taken: a node may have one task per
    unit (two kommun units answering the same notice), and each client does its own.
    A task that a person of the same organisation had taken in the inbox is done by
    the system in their stead (the task then names the client as its owner)."""
    with flow.lock(process.pk):
        tasks = process.task_set.filter(
            flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
        ).order_by("pk")
        task = tasks.first()
        if organisation is not None:
            task = tasks.filter(owner_permission_obj_pk=str(organisation.pk)).first()
            if task is None and tasks.exists():
                raise Problem(
                    403,
                    "forbidden",
                    f"The step {node.name} belongs to another organisation.",
                )
        if task is None:
            process.refresh_from_db(fields=["stage"])
            raise Problem(
                409,
                "step-not-open",
                f"The step {node.name} is not open for this client in case {process.pk} "
                f"(stage {process.stage}).",
            )
        activation = node.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        elif task.owner_id != user.pk:
            activation.reassign(user)
        activation.start(SimpleNamespace(user=user))
        result = service(process=activation.process, by=user, **kwargs)
        activation.execute()
    return result


def discharge_step(*, process: DischargeProcess, node, user, service, organisation=None, **kw):
    """A step of the discharge flow (see ``_run_step``)."""
    return _run_step(
        flow=DischargeFlow,
        process=process,
        node=node,
        user=user,
        service=service,
        organisation=organisation,
        **kw,
    )


def sip_step(*, sip: SipProcess, node, user, service, **kwargs):
    """A step of the SIP flow; ``service`` is called with ``process`` (the SIP)."""
    return _run_step(flow=SipFlow, process=sip, node=node, user=user, service=service, **kwargs)
