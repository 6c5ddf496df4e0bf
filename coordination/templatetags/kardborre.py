"""Showing an individual to a user: ``{{ individual|name_for:request.user }}``.

An individual with protected identity (skyddad identitet) is shown by a placeholder
(``Individual.__str__``) unless the user holds ``coordination.view_protected_identity``.
Email templates never use these filters: they name no individual at all.
"""

from django import template

register = template.Library()

PROTECTED_IDENTITY_PERMISSION = "coordination.view_protected_identity"


def may_see_identity(individual, user) -> bool:
    if not getattr(individual, "protected_identity", False):
        return True
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(PROTECTED_IDENTITY_PERMISSION)
    )


@register.filter
def name_for(individual, user) -> str:
    """The individual's name, or the protected-identity placeholder."""
    if individual is None:
        return ""
    if individual.protected_identity and may_see_identity(individual, user):
        return f"{individual.given_name} {individual.family_name}"
    return str(individual)


@register.filter
def address_for(individual, user) -> str:
    """The address, empty for a protected identity without the grant."""
    if individual is None or not may_see_identity(individual, user):
        return ""
    return individual.address
