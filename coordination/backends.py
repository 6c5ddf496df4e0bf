"""Object permissions that follow organisation membership.

Workflow tasks are routed to an organisation, not to a person: a task node declares
``.Permission(ACT_FOR_ORGANISATION, obj=lambda process: <organisation>)`` and any active
member of that organisation may take and do it. Nobody is ever granted the permission
model-wide (that would open every organisation's queue), so it only holds per object.
"""

from .models import Membership, Organisation

ACT_FOR_ORGANISATION = "coordination.act_for_organisation"


class OrganisationMembershipBackend:
    """``user.has_perm(ACT_FOR_ORGANISATION, organisation)`` for active members."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if perm != ACT_FOR_ORGANISATION or not isinstance(obj, Organisation):
            return False
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        return Membership.objects.filter(
            user=user_obj, organisation=obj, is_active=True, organisation__is_active=True
        ).exists()

    def get_user(self, user_id):
        return None
