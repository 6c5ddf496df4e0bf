"""Writers of what oversight owns: disputes of the invoice basis and population figures.
Bad input raises ``ValidationError`` and writes nothing; the wrong side raises
``PermissionDenied``."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination import clock
from coordination.models import Area
from coordination.selectors import is_registry_admin

from .models import KommunPopulation, PaymentDispute
from .selectors import episodes, is_kommun_side_of, is_region_side, month_bounds

logger = logging.getLogger(__name__)


@transaction.atomic
def payment_dispute_open(*, process, kommun: Area, reason: str, by) -> PaymentDispute:
    """The kommun disputes one episode of its invoice basis, with a reason. Only the
    kommun's own side may, only for an episode it pays for, once at a time."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for the dispute."))
    if not is_kommun_side_of(user=by, kommun=kommun):
        raise PermissionDenied
    if process.discharged_at is None:
        raise ValidationError(_("Only a discharged episode can be disputed."))
    month = clock.local_date(process.discharged_at).replace(day=1)
    start, end = month_bounds(month)
    if not any(
        e.process_id == process.pk for e in episodes(start=start, end=end, kommun_ids={kommun.pk})
    ):
        raise ValidationError(_("The episode is not in the invoice basis of the municipality."))
    if (
        PaymentDispute.objects.select_for_update()
        .filter(process=process, status=PaymentDispute.Status.OPEN)
        .exists()
    ):
        raise ValidationError(_("The episode is already disputed."))
    try:
        with transaction.atomic():
            dispute = PaymentDispute.objects.create(
                process=process,
                kommun=kommun,
                reason=reason,
                opened_at=timezone.now(),
                opened_by=by,
            )
    except IntegrityError as error:  # a concurrent dispute of the same episode
        raise ValidationError(_("The episode is already disputed.")) from error
    logger.info("payment dispute %s opened", dispute.pk)
    return dispute


@transaction.atomic
def payment_dispute_resolve(*, dispute: PaymentDispute, accepted: bool, note: str, by):
    """The region side accepts (the episode leaves the basis) or rejects a dispute,
    with a note."""
    note = (note or "").strip()
    if not is_region_side(user=by):
        raise PermissionDenied
    if not note:
        raise ValidationError(_("Give a note on the resolution."))
    dispute = PaymentDispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != PaymentDispute.Status.OPEN:
        raise ValidationError(_("The dispute is already resolved."))
    dispute.status = PaymentDispute.Status.ACCEPTED if accepted else PaymentDispute.Status.REJECTED
    dispute.resolution_note = note
    dispute.resolved_at = timezone.now()
    dispute.resolved_by = by
    dispute.save()
    return dispute


@transaction.atomic
def kommun_population_set(
    *, kommun: Area, year: int, inhabitants_65_plus: int, source: str, by, replace: bool = False
) -> KommunPopulation:
    """Record the kommun's inhabitants aged 65+ for a year (SCB), for the indicator
    days per 1 000 inhabitants 65+. Administrators only."""
    if not is_registry_admin(user=by):
        raise PermissionDenied
    if inhabitants_65_plus is None or inhabitants_65_plus <= 0:
        raise ValidationError(_("The population must be a positive number."))
    source = (source or "").strip()
    if not source:
        raise ValidationError(_("Give the source of the population figure (e.g. SCB)."))
    existing = KommunPopulation.objects.select_for_update().filter(kommun=kommun, year=year).first()
    if existing is not None and not replace:
        raise ValidationError(
            _("%(kommun)s already has a population for %(year)s. Choose to replace it.")
            % {"kommun": kommun, "year": year}
        )
    row = existing or KommunPopulation(kommun=kommun, year=year)
    row.inhabitants_65_plus = inhabitants_65_plus
    row.source = source
    row.save()
    return row
