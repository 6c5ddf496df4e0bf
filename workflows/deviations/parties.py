"""A deviation's organisations become parties of the case it concerns
(``coordination.access``): the reporter from the start, the receiver once it has
been sent to them."""

from django.db.models.signals import post_save

from coordination.models import ProcessParty
from coordination.services import process_party_add
from workflows.deviations.models import Deviation


def _deviation_parties(sender, instance, **kwargs):
    if instance.process_id is None:
        return
    organisations = [instance.reporting_organisation]
    if instance.status not in (Deviation.Status.DRAFT, Deviation.Status.DISMISSED):
        organisations.append(instance.receiving_organisation)
    process_party_add(
        process=instance.process, organisations=organisations, reason=ProcessParty.Reason.DEVIATION
    )


def connect():
    post_save.connect(_deviation_parties, sender=Deviation, dispatch_uid="deviation_parties")
