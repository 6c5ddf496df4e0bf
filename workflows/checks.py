"""System checks of what a deployer configures (``manage.py check``; the registry ones
with ``manage.py check --database default``)."""

import datetime as dt

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from coordination import chains
from coordination.models import Area, Huvudman, Organisation

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
    """Every active organisation's escalation chain (``coordination.chains``) reaches
    someone at rung 2 and a MAS or chefläkare at rung 3: on the kommun side a KSA and
    the kommun's MAS, on the region side the unit's manager or GSA and the region's
    chefläkare or MAS. Without them an escalation or a breach reaches nobody (README,
    Escalation)."""
    if not databases:
        return []
    try:
        return list(_chain_warnings())
    except DatabaseError:  # not migrated yet
        return []


def _chain_warnings():
    resolver = chains.ChainResolver()
    organisations = list(
        Organisation.objects.filter(is_active=True)
        .select_related("area", "area__parent", "parent")
        .order_by("pk")
    )
    resolver.prefetch(organisation_ids=[organisation.pk for organisation in organisations])
    no_overseer: dict[tuple, list] = {}
    for organisation in organisations:
        if organisation.area.kind == Area.Kind.REGION and not organisation.parent_id:
            continue  # a region-wide administration owns no case deadlines of an area
        chain = resolver.chain(organisation)
        kommun_side = organisation.effective_huvudman == Huvudman.KOMMUN
        if not resolver.coordinator_people(chain):
            yield checks.Warning(
                f"Organisation {organisation.pk} ({organisation.name}) has nobody to "
                + ("escalate to (no KSA)." if kommun_side else "escalate to (no manager or GSA)."),
                hint=(
                    "Set the KSA of its district or kommun in the registry, or its "
                    "escalation chain."
                    if kommun_side
                    else "Set the unit it is part of (with a manager), the GSA of its "
                    "area, or its escalation chain."
                ),
                id="workflows.W005" if kommun_side else "workflows.W007",
            )
        if not chain.overseers:
            key = (chain.side, chain.overseer_area.name if chain.overseer_area else "?")
            no_overseer.setdefault(key, []).append(organisation)
    for (side, area), units in no_overseer.items():
        yield checks.Warning(
            (
                f"Kommun {area} has no active MAS"
                if side == Huvudman.KOMMUN
                else f"Region {area} has no active chefläkare or MAS"
            )
            + f": breaches of its {len(units)} organisation(s) reach nobody.",
            hint="Give a MAS (or chefläkare, region) an active membership, or set the "
            "escalation chains of these organisations.",
            id="workflows.W006" if side == Huvudman.KOMMUN else "workflows.W008",
        )
