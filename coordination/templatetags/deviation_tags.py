from django import template

from coordination.selectors import mas_kommuner

register = template.Library()


@register.simple_tag(takes_context=True)
def is_mas(context) -> bool:
    """Whether the current user is a MAS, for the menu (the pages check again)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and mas_kommuner(user=user))
