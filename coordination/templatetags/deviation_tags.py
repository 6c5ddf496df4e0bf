from django import template

from coordination.deviations.selectors import deviations_search
from coordination.selectors import mas_kommuner

register = template.Library()


@register.simple_tag(takes_context=True)
def is_mas(context) -> bool:
    """Whether the current user is a MAS, for the menu (the pages check again)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and mas_kommuner(user=user))


@register.simple_tag(takes_context=True)
def process_deviations(context, process):
    """The deviations about a case that the current user may see (the register's rule)."""

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return list(
        deviations_search(user=request.user, process_id=process.pk).select_related(
            "reporting_organisation", "receiving_organisation"
        )
    )
