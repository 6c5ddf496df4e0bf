from . import access, selectors


def roles(request):
    """What the menu offers; the views check the same rules again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_review_access_log": selectors.is_registry_admin(user=user)
        or bool(selectors.mas_kommuner(user=user)),
        "can_register_individuals": access.may_register_individuals(user=user),
    }
