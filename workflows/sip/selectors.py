"""Reads of SIPs. Every page, list and export of a SIP goes through ``sips_visible_to``."""

from django.db.models import Q, QuerySet

from coordination import access
from coordination.models import Membership, Organisation

from .models import Invitation, SipProcess


def sips_visible_to(*, user) -> QuerySet[SipProcess]:
    """The SIPs a user may read: the one access rule (``coordination.access``)."""
    return access.processes_visible_to(user=user, model=SipProcess).select_related(
        "individual", "initiating_organisation"
    )


def sip_may_withdraw(*, user, sip) -> bool:
    """Makulering: the initiating organisation's active members, or an administrator
    who may see the SIP (``coordination.access.may_withdraw``)."""
    return access.may_withdraw(
        user=user, process_id=sip.pk, registering_organisation_id=sip.initiating_organisation_id
    )


def sip_search(*, user, query: str = "", stage: str = "") -> QuerySet[SipProcess]:
    """The user's SIP list: free text over the case number, organisation and reason."""
    qs = sips_visible_to(user=user)
    for word in query.split():
        condition = Q(initiating_organisation__name__icontains=word) | Q(reason__icontains=word)
        if word.lstrip("#").isdigit():
            condition |= Q(pk=int(word.lstrip("#")))
        # Names are searched only for individuals without protected identity.
        condition |= Q(individual__protected_identity=False) & (
            Q(individual__given_name__icontains=word) | Q(individual__family_name__icontains=word)
        )
        qs = qs.filter(condition)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.order_by("-created", "-pk")


def sip_invitations(*, sip: SipProcess) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(meeting__sip=sip)
        .select_related("meeting", "organisation", "staff_user", "related_person")
        .prefetch_related("events", "events__by")
        .order_by("meeting__starts_at", "kind", "pk")
    )


def participation_failures(*, organisation: Organisation | None = None) -> QuerySet[Invitation]:
    """Called organisations that did not come or never answered before the meeting.

    The facts a deviation (DOMAIN.md §2.8: "a called party does not come / does not
    answer") is drafted from.
    """
    qs = Invitation.objects.filter(kind=Invitation.Kind.ORGANISATION).filter(
        Q(attendance=Invitation.Attendance.ABSENT) | Q(unanswered_at_meeting=True)
    )
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.select_related("meeting__sip", "organisation").order_by("-meeting__starts_at")


def user_can_initiate_sip(*, user) -> bool:
    """Any active kommun or region member who handles cases may call a SIP (DOMAIN.md §2.2)."""
    if not user.is_authenticated:
        return False
    return initiating_organisations_of(user=user).exists()


def initiating_organisations_of(*, user) -> QuerySet[Organisation]:
    roles = [
        Membership.Role.HANDLAGGARE,
        Membership.Role.FAST_VARDKONTAKT,
        Membership.Role.SJUKSKOTERSKA,
        Membership.Role.LAKARE,
        Membership.Role.KSA,
    ]
    return Organisation.objects.filter(
        is_active=True,
        memberships__user=user,
        memberships__is_active=True,
        memberships__role__in=roles,
    ).distinct()
