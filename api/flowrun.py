"""Drive the discharge flow's nodes as its task pages do: take the open task of a node
for the client's service user, call the one service, complete the task. The flow and
its services stay the only place where a step is decided."""

from types import SimpleNamespace

from viewflow.workflow.status import STATUS

from workflows.discharge import services
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, UnitRole

from .problems import Problem

UNIT_ANSWER_NODES = {
    UnitRole.SOCIALTJANST: DischargeFlow.ack_socialtjanst,
    UnitRole.KOMMUNAL_HSV: DischargeFlow.ack_kommunal_hsv,
    UnitRole.VARDCENTRAL: DischargeFlow.ack_vardcentral,
}


def discharge_start(*, user, **facts) -> DischargeProcess:
    """Register an admission through the flow's start node (``discharge_register``)."""
    node = DischargeFlow.start
    activation = node.activation_class.create(node, None, None)
    activation.start(SimpleNamespace(user=user))
    services.discharge_register(process=activation.process, by=user, **facts)
    activation.execute()
    return activation.process


def discharge_step(*, process: DischargeProcess, node, user, service, **kwargs):
    """Complete the open task of ``node`` through ``service``. A task that a person of
    the same organisation had taken in the inbox is done by the system in their stead
    (the task then names the client as its owner)."""
    with DischargeFlow.lock(process.pk):
        task = (
            process.task_set.filter(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])
            .order_by("pk")
            .first()
        )
        if task is None:
            process.refresh_from_db(fields=["stage"])
            raise Problem(
                409,
                "step-not-open",
                f"The step {node.name} is not open in discharge {process.pk} "
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
