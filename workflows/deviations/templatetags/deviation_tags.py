from django import template

from workflows.deviations.selectors import deviations_search

register = template.Library()


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
