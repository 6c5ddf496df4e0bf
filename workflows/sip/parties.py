"""The SIP's parties (``coordination.access``): the initiating organisation, every
participant and every organisation invited to a meeting.

Recorded by receivers on the rows that record the sending, so that no write path (the
flow's services, the demo loader, the admin) can forget one.
"""

from django.db.models.signals import m2m_changed, post_save

from coordination.models import Organisation, ProcessParty
from coordination.services import process_party_add

from .models import Invitation, SipProcess


def _initiator_is_party(sender, instance, **kwargs):
    if instance.initiating_organisation_id is not None:
        process_party_add(
            process=instance,
            organisations=[instance.initiating_organisation],
            reason=ProcessParty.Reason.SIP_INITIATOR,
            at=instance.created,
        )


def _participants_are_parties(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action != "post_add" or not pk_set:
        return
    if reverse:  # organisation.sips.add(sip, …)
        for sip in SipProcess.objects.filter(pk__in=pk_set):
            process_party_add(
                process=sip, organisations=[instance], reason=ProcessParty.Reason.SIP_PARTICIPANT
            )
        return
    process_party_add(
        process=instance,
        organisations=list(Organisation.objects.filter(pk__in=pk_set)),
        reason=ProcessParty.Reason.SIP_PARTICIPANT,
    )


def _invited_is_party(sender, instance, created, **kwargs):
    if created and instance.organisation_id is not None:
        process_party_add(
            process=instance.meeting.sip,
            organisations=[instance.organisation],
            reason=ProcessParty.Reason.SIP_INVITATION,
        )


def connect():
    post_save.connect(_initiator_is_party, sender=SipProcess, dispatch_uid="sip_initiator_party")
    m2m_changed.connect(
        _participants_are_parties,
        sender=SipProcess.participants.through,
        dispatch_uid="sip_participant_party",
    )
    post_save.connect(_invited_is_party, sender=Invitation, dispatch_uid="sip_invitation_party")
