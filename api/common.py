"""What the endpoints share: pagination, the individual as a system may see it,
the access log."""

import re

from django.db.models import QuerySet
from ninja import Query, Schema
from pydantic import AwareDatetime, Field, field_validator

from coordination.models import AccessLog
from coordination.services import access_log_record

MAX_LIMIT = 100
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")


class ListParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)
    updated_since: AwareDatetime | None = None

    @field_validator("updated_since", mode="before")
    @classmethod
    def _iso_only(cls, value):
        # A number would be taken as Unix seconds: the schema promises an ISO 8601
        # date-time with its offset, and only that is accepted.
        if value is not None and not (isinstance(value, str) and ISO_DATE.match(value)):
            raise ValueError("an ISO 8601 date-time with its offset (2026-03-01T08:00:00+01:00)")
        return value


ListQuery = Query[ListParams]


def paginate(queryset: QuerySet, params: ListParams) -> tuple[int, list]:
    count = queryset.count()
    items = list(queryset[params.offset : params.offset + params.limit])
    return count, items


def individual_out(individual) -> dict:
    """Name only when the identity is not protected; the personnummer is what the
    systems match on."""
    protected = individual.protected_identity
    return {
        "personal_identity_number": individual.personal_identity_number,
        "protected_identity": protected,
        "given_name": "" if protected else individual.given_name,
        "family_name": "" if protected else individual.family_name,
    }


def log_access(request, *, process, individual, purpose, action=AccessLog.Action.READ):
    """Every API read and write of a case is access-logged, naming the client's
    service user and the organisation it acts for."""
    access_log_record(
        user=request.user,
        action=action,
        purpose=purpose,
        individual=individual,
        process=process,
        organisation=request.auth.organisation,
        request=request,
    )
