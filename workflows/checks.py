"""System checks of what a deployer configures (``manage.py check``; the registry ones
with ``manage.py check --database default``)."""

import datetime as dt

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.db.models import Q

from coordination.models import Area, Huvudman, Membership, Organisation

from . import escalation

SWEEP_TASK = "workflows.tasks.sweep_deadlines"


def deadline_kinds_check(app_configs=None, **kwargs):
    """Every registered deadline kind has a source, a label, the deviation drafted at
    its breach and a complete ladder: rungs in time order that remind first and end in
    a breach (so every missed deadline reaches the MAS). A local kind (not set by law
    or the agreement) says so in its source, and ``KARDBORRE_LOCAL_DEADLINES`` switches
    on local kinds only."""
    errors = []
    if not escalation.KINDS:
        errors.append(checks.Error("No deadline kinds are registered.", id="workflows.E001"))
    for code, kind in escalation.KINDS.items():
        problems = []
        rungs = kind.ladder
        if not rungs:
            problems.append("it has no ladder")
        else:
            if rungs[0].action != escalation.REMIND:
                problems.append("its ladder does not start with a reminder")
            if rungs[-1].action != escalation.BREACH:
                problems.append("its ladder does not end in a breach")
            if any(a.offset > b.offset for a, b in zip(rungs, rungs[1:], strict=False)):
                problems.append("its rungs are not in time order")
            if any(rung.action not in escalation.OWNERS for rung in rungs):
                problems.append("a rung has an unknown action")
        if not kind.source:
            problems.append("it names no legal or agreement source")
        if kind.local and not kind.source.startswith("Local rule"):
            problems.append("it is local but its source does not say 'Local rule'")
        if kind.local and kind.calendar_hours_by_law:
            problems.append("it is local, so it cannot be in calendar hours by law")
        if not kind.label:
            problems.append("it has no label")
        if kind.deviation is None:
            problems.append("it names no deviation for a breach")
        errors.extend(
            checks.Error(
                f"Deadline kind {code}: {problem}.",
                hint="Declare the kind completely in the kinds module of its flow.",
                id="workflows.E002",
            )
            for problem in problems
        )
    errors.extend(_local_deadlines_errors())
    return errors


def _local_deadlines_errors():
    """``KARDBORRE_LOCAL_DEADLINES`` names local kinds only: the law's and the
    agreement's deadlines are always opened and cannot be switched."""
    local = [kind.code for kind in escalation.local_kinds()]
    listed = getattr(settings, "KARDBORRE_LOCAL_DEADLINES", None) or []
    wrong = [code for code in listed if code not in local]
    if not wrong:
        return []
    return [
        checks.Error(
            f"KARDBORRE_LOCAL_DEADLINES names {', '.join(wrong)}, which is not a local "
            "deadline kind.",
            hint=f"The local deadline kinds are: {', '.join(local) or 'none'}; the "
            "others are set by law or the agreement and always opened.",
            id="workflows.E008",
        )
    ]


def beat_schedule_check(app_configs=None, **kwargs):
    """Exactly one beat entry runs the deadline sweep, often enough to be on time."""
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", {}) or {}
    sweeps = [name for name, entry in schedule.items() if entry.get("task") == SWEEP_TASK]
    if len(sweeps) != 1:
        return [
            checks.Error(
                f"The beat schedule runs the deadline sweep {len(sweeps)} times "
                f"({', '.join(sweeps) or 'never'}); it must run it exactly once.",
                hint="Keep one entry for workflows.tasks.sweep_deadlines in "
                "CELERY_BEAT_SCHEDULE (config/settings.py) and run one beat process.",
                id="workflows.E003",
            )
        ]
    period = schedule[sweeps[0]].get("schedule")
    seconds = period.total_seconds() if isinstance(period, dt.timedelta) else period
    if isinstance(seconds, int | float) and seconds > 300:
        return [
            checks.Warning(
                f"The deadline sweep runs every {seconds:.0f} s; reminders may be late.",
                hint="Set KARDBORRE_SWEEP_PERIOD_SECONDS to 300 or less.",
                id="workflows.W004",
            )
        ]
    return []


def escalation_chains_check(app_configs=None, databases=None, **kwargs):
    """Every active organisation has somewhere to escalate to and a MAS at the end of
    its chain: on the kommun side a KSA for its district or kommun and an active MAS in
    its kommun; on the region side a GSA for its area or the area's kommun. Without one
    an escalation or a breach reaches nobody (README, Escalation)."""
    if not databases:
        return []
    try:
        return list(_chain_warnings())
    except DatabaseError:  # not migrated yet
        return []


def _chain_warnings():
    organisations = Organisation.objects.filter(is_active=True).select_related(
        "area", "area__parent"
    )
    mas_areas = set(
        Membership.objects.filter(
            role=Membership.Role.MAS, is_active=True, user__is_active=True
        ).values_list("organisation__area_id", "organisation__area__parent_id")
    )
    kommuner_with_mas = {pk for pair in mas_areas for pk in pair if pk}
    no_ksa, no_mas = [], {}
    for organisation in organisations.filter(
        Q(huvudman=Huvudman.KOMMUN) | Q(huvudman=Huvudman.PRIVATE)
    ).order_by("pk"):
        if organisation.effective_huvudman != Huvudman.KOMMUN:
            continue
        area = organisation.area
        kommun = area.kommun if area is not None else None
        own_ksa = area is not None and area.kind == Area.Kind.STADSDELSOMRADE and area.ksa_id
        if not own_ksa and not (kommun is not None and kommun.ksa_id):
            no_ksa.append(organisation)
        if kommun is None or kommun.pk not in kommuner_with_mas:
            no_mas.setdefault(kommun.name if kommun else "?", []).append(organisation)
    for organisation in no_ksa:
        yield checks.Warning(
            f"Organisation {organisation.pk} ({organisation.name}) has no KSA to escalate to.",
            hint="Set the KSA of its district or kommun in the registry.",
            id="workflows.W005",
        )
    for kommun, units in no_mas.items():
        yield checks.Warning(
            f"Kommun {kommun} has no active MAS: breaches of its {len(units)} "
            "organisation(s) reach nobody.",
            hint="Give a MAS an active membership in an organisation of the kommun.",
            id="workflows.W006",
        )
    for organisation in organisations.exclude(huvudman=Huvudman.KOMMUN).order_by("pk"):
        area = organisation.area
        if organisation.effective_huvudman != Huvudman.REGION or area is None:
            continue
        if area.kind == Area.Kind.REGION:
            continue  # a region-wide administration owns no case deadlines of an area
        if not (area.gsa_id or (area.parent_id and area.parent.gsa_id)):
            yield checks.Warning(
                f"Organisation {organisation.pk} ({organisation.name}) has no GSA to "
                "escalate to in its area.",
                hint="Set the GSA of its area or kommun in the registry.",
                id="workflows.W007",
            )
