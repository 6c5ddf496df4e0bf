from django import template

from coordination.selectors import is_registry_admin, mas_kommuner

from ..selectors import is_region_side, payment_kommuner_visible_to

register = template.Library()


@register.simple_tag(takes_context=True)
def oversight_access(context) -> dict:
    """What the menu shows (each page checks again)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"figures": False, "admin": False, "region": False, "mas": False}
    return {
        "figures": bool(payment_kommuner_visible_to(user=user)),
        "admin": is_registry_admin(user=user),
        "region": is_region_side(user=user),
        "mas": bool(mas_kommuner(user=user)),
    }
