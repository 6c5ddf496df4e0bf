"""Gallring: finished cases past their retention period (checklist R8, R20).

Each record class has its own period in ``settings.RETENTION_YEARS`` (years after the
case finished, its last entry). Defaults and sources:

- ``discharge`` 10 years: the discharge case holds health documentation (region and
  kommunal hälso- och sjukvård); patientdatalagen 3 kap. 17 § keeps a patient record at
  least ten years after the last entry.
- ``sip`` 5 years: the SIP is social-services documentation; SoL 12 kap. 1 § gallrar
  personakt entries five years after the last entry (the new SoL 2025:400 may number it
  differently). The exemptions of SoL 12 kap. 2 § (people born on day 5, 15 or 25, kept
  for research) and arkivlagen decisions of each huvudman are not applied here: set a
  longer period, or keep the case, where they apply.

A purge deletes the case with its tasks, deadlines, invitations, meetings, plans and
outbox rows. It never touches the access log: its rows are kept at least five years
independently (HSLF-FS 2016:40 4 kap. 9 §) and keep the case id, pointing at nothing;
the individual is kept so the log stays searchable by person. A case still referred to
by another record (a deviation, a SIP started from a discharge) is kept and reported.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS

from notifications.models import OutboundEmail
from workflows.deviations.models import Deviation
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.sip.models import SipProcess

DEFAULT_RETENTION_YEARS = {"discharge": 10, "sip": 5}
RECORD_CLASSES = {"discharge": DischargeProcess, "sip": SipProcess}
# The access log itself is kept at least this long, by law; this module never purges it.
ACCESS_LOG_MIN_YEARS = 5


def retention_years() -> dict[str, int]:
    configured = {**DEFAULT_RETENTION_YEARS, **getattr(settings, "RETENTION_YEARS", {})}
    for record_class, years in configured.items():
        if record_class not in RECORD_CLASSES:
            raise ValueError(f"RETENTION_YEARS: unknown record class {record_class!r}")
        if not isinstance(years, int) or years < 1:
            raise ValueError(f"RETENTION_YEARS[{record_class!r}] must be a whole number ≥ 1")
    return configured


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    """The same local calendar moment ``years`` earlier (29 February → 28 February)."""
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year - years)
    except ValueError:
        return local.replace(year=local.year - years, day=28)


@dataclass
class Expired:
    record_class: str
    process: Process
    finished: dt.datetime
    blocked_by: str = ""


def _blockers(process) -> str:

    reasons = []
    deviations = Deviation.objects.filter(
        Q(process_id=process.pk) | Q(deadline__process_id=process.pk)
    ).values_list("pk", flat=True)
    if deviations:
        reasons.append("deviation " + ", ".join(f"#{pk}" for pk in deviations))
    sips = SipProcess.objects.filter(origin_discharge_id=process.pk).values_list("pk", flat=True)
    if sips:
        reasons.append("SIP " + ", ".join(f"#{pk}" for pk in sips))
    return "; ".join(reasons)


def expired_cases(*, now=None, record_classes=None) -> list[Expired]:
    """Finished cases whose retention period has passed, oldest first."""
    now = now or timezone.now()
    years = retention_years()
    found = []
    for record_class in record_classes or RECORD_CLASSES:
        cutoff = years_before(now, years[record_class])
        model = RECORD_CLASSES[record_class]
        qs = model.objects.filter(
            status__in=[PROCESS.DONE, PROCESS.CANCELED],
            finished__isnull=False,
            finished__lte=cutoff,
        ).order_by("finished", "pk")
        for process in qs:
            found.append(
                Expired(record_class, process, process.finished, blocked_by=_blockers(process))
            )
    return found


def purge_case(process) -> None:
    """Delete one expired case and what belongs to it, in one transaction."""
    with transaction.atomic():
        OutboundEmail.objects.filter(
            Q(process_id=process.pk) | Q(deadline__process_id=process.pk)
        ).delete()
        Deadline.objects.filter(process_id=process.pk).delete()
        process.delete()  # tasks, invitations, meetings, plans and unit rows cascade


def _describe(objects) -> str:
    return ", ".join(sorted({f"{obj._meta.verbose_name} #{obj.pk}" for obj in objects}))


def purge(expired: list[Expired]) -> tuple[list[Expired], list[Expired]]:
    """Purge what is not blocked; returns (purged, kept)."""
    purged, kept = [], []
    for item in expired:
        if item.blocked_by:
            kept.append(item)
            continue
        try:
            purge_case(item.process)
        except ProtectedError as exc:
            item.blocked_by = _describe(exc.protected_objects)
            kept.append(item)
        except RestrictedError as exc:
            item.blocked_by = _describe(exc.restricted_objects)
            kept.append(item)
        else:
            purged.append(item)
    return purged, kept
