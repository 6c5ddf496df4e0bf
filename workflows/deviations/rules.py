"""Who may act on a deviation. The transitions (``Deviation.report`` …) use these as
their django-fsm permissions; the views list the allowed actions through them.

* The reporting side: active members of the reporting organisation, and the MAS of
  the kommun that organisation belongs to. They edit and send a draft, dismiss it,
  close an answered deviation with their assessment, and reopen a closed one.
* The receiving side: active members of the receiving organisation only. They answer.
"""

from coordination.models import Membership
from coordination.selectors import mas_kommuner


def _member_of(user, organisation_id) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    cache = _cache(user)
    if "orgs" not in cache:
        cache["orgs"] = set(
            Membership.objects.filter(user=user, is_active=True).values_list(
                "organisation_id", flat=True
            )
        )
    return organisation_id in cache["orgs"]


def _mas_kommun_ids(user) -> set[int]:

    cache = _cache(user)
    if "mas" not in cache:
        cache["mas"] = {kommun.pk for kommun in mas_kommuner(user=user)}
    return cache["mas"]


def _cache(user) -> dict:
    # Per user object, so per request: the rules run once per button on a page.
    if not hasattr(user, "_deviation_rules_cache"):
        user._deviation_rules_cache = {}
    return user._deviation_rules_cache


def is_mas_for(user, organisation) -> bool:
    kommun = organisation.area.kommun
    return kommun is not None and kommun.pk in _mas_kommun_ids(user)


def may_act_for_reporter(deviation, user) -> bool:
    return _member_of(user, deviation.reporting_organisation_id) or is_mas_for(
        user, deviation.reporting_organisation
    )


def may_act_for_receiver(deviation, user) -> bool:
    return _member_of(user, deviation.receiving_organisation_id)
