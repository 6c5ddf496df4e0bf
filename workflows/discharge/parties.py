"""The discharge's parties (``coordination.access``): the ward that registered the
admission and each unit the admission notice went to.

Recorded by receivers on the rows that record the sending, so that no write path (the
flow's services, the demo loader, the admin) can forget one.
"""

from django.db.models.signals import post_save

from coordination.models import ProcessParty
from coordination.services import process_party_add

from .models import DischargeProcess, DischargeUnit


def _ward_is_party(sender, instance, created, update_fields=None, **kwargs):
    if not created and update_fields is not None and not {"ward", "ward_id"} & set(update_fields):
        return  # a save that did not change the ward
    if instance.ward_id is not None:
        process_party_add(
            process=instance,
            organisations=[instance.ward_id],
            reason=ProcessParty.Reason.WARD,
            at=instance.created,
        )


def _unit_is_party(sender, instance, created, **kwargs):
    if created:
        process_party_add(
            process=instance.process,
            organisations=[instance.organisation],
            reason=ProcessParty.Reason.ADMISSION_NOTICE,
            at=instance.notified_at,
        )


def connect():
    post_save.connect(_ward_is_party, sender=DischargeProcess, dispatch_uid="discharge_ward_party")
    post_save.connect(_unit_is_party, sender=DischargeUnit, dispatch_uid="discharge_unit_party")
