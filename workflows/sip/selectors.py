"""Reads of SIPs. Every page, list and export of a SIP goes through ``sips_visible_to``."""

from django.db.models import Q, QuerySet

from coordination.models import Area, Membership, Organisation
from coordination.selectors import user_organisations

from .models import Invitation, SipProcess


def _mas_kommun_areas(*, user) -> list[Area]:
    areas = []
    memberships = Membership.objects.filter(
        user=user, role=Membership.Role.MAS, is_active=True, organisation__is_active=True
    ).select_related("organisation__area__parent")
    for membership in memberships:
        kommun = membership.organisation.area.kommun
        if kommun is not None and kommun not in areas:
            areas.append(kommun)
    return areas


def sips_visible_to(*, user) -> QuerySet[SipProcess]:
    """SIPs in which one of the user's organisations takes part (initiating or invited).

    A MAS also sees the SIPs that involve any organisation of their kommun (including
    its stadsdelsområden). Nobody else, not even staff users, sees a SIP.
    """
    if not user.is_authenticated or not user.is_active:
        return SipProcess.objects.none()
    organisations = user_organisations(user=user)
    condition = (
        Q(initiating_organisation__in=organisations)
        | Q(participants__in=organisations)
        | Q(meetings__invitations__organisation__in=organisations)
    )
    kommuner = _mas_kommun_areas(user=user)
    if kommuner:
        in_kommun = Organisation.objects.filter(Q(area__in=kommuner) | Q(area__parent__in=kommuner))
        condition |= (
            Q(initiating_organisation__in=in_kommun)
            | Q(participants__in=in_kommun)
            | Q(meetings__invitations__organisation__in=in_kommun)
        )
    visible_pks = SipProcess.objects.filter(condition).values("pk")
    return SipProcess.objects.filter(pk__in=visible_pks).select_related(
        "individual", "initiating_organisation"
    )


def sip_may_withdraw(*, user, sip) -> bool:
    """Makulering: the initiating organisation's active members, or an administrator
    who may see the SIP (issue #12)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user_organisations(user=user).filter(pk=sip.initiating_organisation_id).exists():
        return True
    is_admin = (
        user.is_superuser
        or Membership.objects.filter(user=user, role=Membership.Role.ADMIN, is_active=True).exists()
    )
    return is_admin and sips_visible_to(user=user).filter(pk=sip.pk).exists()


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
