"""Writes to the registry."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import personnummer
from .access import acting_organisations, user_parties_of
from .client_ip import client_ip
from .models import AccessLog, Area, Huvudman, Individual, Organisation, ProcessParty

IMPORT_COLUMNS = [
    "name",
    "kind",
    "huvudman",
    "area",
    "hsa_id",
    "parent",
    "acting_for",
    "functional_mailbox",
    "phone",
    "reachability",
    "opening_hours_note",
]
REQUIRED_COLUMNS = {"name", "kind", "huvudman", "area"}
_REACHABILITY_WORDS = {
    "yes": "YES",
    "ja": "YES",
    "no": "NO",
    "nej": "NO",
    "unknown": "UNKNOWN",
    "okänd": "UNKNOWN",
    "okand": "UNKNOWN",
    "": "UNKNOWN",
}


class OrganisationImportError(Exception):
    """The file was not imported; ``errors`` lists every problem with its line."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    names: list[str] = field(default_factory=list)


def _choice(value: str, choices, column: str, line: int, errors: list[str]) -> str:
    code = value.strip().upper()
    valid = {c for c, _label in choices}
    if code in valid:
        return code
    by_label = {str(label).lower(): c for c, label in choices}
    if value.strip().lower() in by_label:
        return by_label[value.strip().lower()]
    errors.append(
        _("line %(line)s: %(column)s: '%(value)s' is not one of %(valid)s")
        % {"line": line, "column": column, "value": value, "valid": ", ".join(sorted(valid))}
    )
    return ""


def _read_rows(data: bytes | str) -> tuple[list[str], list[dict]]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    return header, list(reader)


@transaction.atomic
def organisations_import_csv(*, data: bytes | str) -> ImportResult:
    """Create or update organisations from a CSV file (UTF-8, ``;`` or ``,``).

    Every row is validated first; if any row is wrong nothing is written and
    ``OrganisationImportError`` lists all errors with their line numbers. A row updates
    the organisation with the same HSA id, or else the same name in the same area.
    """
    try:
        header, rows = _read_rows(data)
    except UnicodeDecodeError:
        raise OrganisationImportError([_("The file is not UTF-8 encoded text.")]) from None
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise OrganisationImportError(
            [_("line 1: missing columns: %(columns)s") % {"columns": ", ".join(sorted(missing))}]
        )
    unknown = set(header) - set(IMPORT_COLUMNS)
    if unknown:
        raise OrganisationImportError(
            [_("line 1: unknown columns: %(columns)s") % {"columns": ", ".join(sorted(unknown))}]
        )
    if not rows:
        raise OrganisationImportError([_("The file has no rows to import.")])

    areas = {a.name.lower(): a for a in Area.objects.all()}
    errors: list[str] = []
    cleaned = []
    seen_keys: dict[tuple, int] = {}
    names_in_file: set[str] = set()
    hsa_in_file: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if None in row:
            errors.append(_("line %(line)s: more fields than columns") % {"line": line})
            continue
        value = {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}
        for column in sorted(REQUIRED_COLUMNS):
            if not value[column]:
                errors.append(
                    _("line %(line)s: %(column)s: required") % {"line": line, "column": column}
                )
        kind = (
            _choice(value["kind"], Organisation.Kind.choices, "kind", line, errors)
            if value["kind"]
            else ""
        )
        huvudman = (
            _choice(value["huvudman"], Huvudman.choices, "huvudman", line, errors)
            if value["huvudman"]
            else ""
        )
        acting_for = ""
        if value["acting_for"]:
            acting_for = _choice(
                value["acting_for"],
                [c for c in Huvudman.choices if c[0] != "PRIVATE"],
                "acting_for",
                line,
                errors,
            )
            if huvudman and huvudman != Huvudman.PRIVATE:
                errors.append(
                    _("line %(line)s: acting_for: only a private provider acts for a principal")
                    % {"line": line}
                )
        area = areas.get(value["area"].lower()) if value["area"] else None
        if value["area"] and area is None:
            errors.append(
                _("line %(line)s: area: no area named '%(value)s'")
                % {"line": line, "value": value["area"]}
            )
        reach = _REACHABILITY_WORDS.get(value["reachability"].lower())
        if reach is None:
            errors.append(
                _("line %(line)s: reachability: '%(value)s' is not YES, NO or UNKNOWN")
                % {"line": line, "value": value["reachability"]}
            )
        if value["functional_mailbox"]:
            try:
                validate_email(value["functional_mailbox"])
            except ValidationError:
                errors.append(
                    _("line %(line)s: functional_mailbox: '%(value)s' is not an email address")
                    % {"line": line, "value": value["functional_mailbox"]}
                )
        for column, limit in (
            ("name", 200),
            ("hsa_id", 64),
            ("phone", 40),
            ("opening_hours_note", 300),
        ):
            if len(value[column]) > limit:
                errors.append(
                    _("line %(line)s: %(column)s: longer than %(limit)s characters")
                    % {"line": line, "column": column, "limit": limit}
                )
        key = (
            ("hsa", value["hsa_id"])
            if value["hsa_id"]
            else ("name", value["name"].lower(), value["area"].lower())
        )
        if key in seen_keys:
            errors.append(
                _("line %(line)s: the same organisation as on line %(other)s")
                % {"line": line, "other": seen_keys[key]}
            )
        seen_keys[key] = line
        names_in_file.add(value["name"].lower())
        if value["hsa_id"]:
            hsa_in_file.add(value["hsa_id"])
        cleaned.append((line, value, kind, huvudman, acting_for, area, reach))

    for line, value, *_rest in cleaned:
        parent = value["parent"]
        if parent and parent.lower() not in names_in_file and parent not in hsa_in_file:
            exists = (
                Organisation.objects.filter(hsa_id=parent).exists()
                or Organisation.objects.filter(name__iexact=parent).exists()
            )
            if not exists:
                errors.append(
                    _("line %(line)s: parent: no organisation '%(value)s' here or in the registry")
                    % {"line": line, "value": parent}
                )
    if errors:
        raise OrganisationImportError(errors)

    result = ImportResult()
    saved: dict[str, Organisation] = {}
    for _line, value, kind, huvudman, acting_for, area, reach in cleaned:
        if value["hsa_id"]:
            organisation = Organisation.objects.filter(hsa_id=value["hsa_id"]).first()
        else:
            organisation = Organisation.objects.filter(
                name__iexact=value["name"], area=area
            ).first()
        created = organisation is None
        organisation = organisation or Organisation()
        organisation.name = value["name"]
        organisation.kind = kind
        organisation.huvudman = huvudman
        organisation.acting_for = acting_for
        organisation.area = area
        organisation.hsa_id = value["hsa_id"]
        organisation.functional_mailbox = value["functional_mailbox"]
        organisation.phone = value["phone"]
        organisation.reachability = reach
        organisation.opening_hours_note = value["opening_hours_note"]
        organisation.save()
        saved[value["name"].lower()] = organisation
        if value["hsa_id"]:
            saved[value["hsa_id"]] = organisation
        result.names.append(organisation.name)
        if created:
            result.created += 1
        else:
            result.updated += 1
    for line, value, *_rest in cleaned:
        if value["parent"]:
            organisation = saved[value["hsa_id"] or value["name"].lower()]
            parent = (
                saved.get(value["parent"])
                or saved.get(value["parent"].lower())
                or Organisation.objects.filter(hsa_id=value["parent"]).first()
                or Organisation.objects.filter(name__iexact=value["parent"]).first()
            )
            if parent.pk == organisation.pk:
                raise OrganisationImportError(
                    [
                        _("line %(line)s: parent: an organisation cannot be its own parent")
                        % {"line": line}
                    ]
                )
            organisation.parent = parent
            organisation.save(update_fields=["parent"])
    return result


def access_log_record(
    *,
    user,
    action: str,
    purpose: str,
    individual=None,
    process=None,
    organisation=None,
    request=None,
):
    """Append one row to the access log (PDL 4 kap. 3 §). Call it for every read or write
    of an individual's data: case pages, plans, prints and exports.

    ``organisation`` is the unit the user acts for; when not given, the user's single
    membership among the process's organisations is taken if there is exactly one.
    """

    if organisation is None and user.is_authenticated:
        organisation = _acting_organisation(user=user, process=process)
    return AccessLog.objects.create(
        user=user if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        organisation=organisation,
        individual=individual,
        process=process,
        action=action,
        purpose=purpose[:200],
        path=(request.get_full_path()[:300] if request is not None else ""),
        ip_address=client_ip(request) if request is not None else None,
    )


def _acting_organisation(*, user, process):

    shared = user_parties_of(user=user, process=process)
    if len(shared) == 1:
        return shared[0]
    mine = list(acting_organisations(user=user)[:2])
    return mine[0] if len(mine) == 1 else None


# --- Parties of a process (the access rule's table) -------------------------------------


@transaction.atomic(savepoint=False)
def process_party_add(*, process, organisations, reason: str, at=None) -> int:
    """Record that ``organisations`` were sent something in ``process`` (see
    ``coordination.access``). Idempotent: an organisation already a party for the same
    reason keeps its first ``since_at``. Returns how many parties were new.
    ``organisations``: Organisation rows or their ids."""

    if process is None or process.pk is None:
        return 0
    at = at or timezone.now()
    organisation_ids = list(
        {o if isinstance(o, int) else o.pk for o in organisations if o is not None}
    )
    if not organisation_ids:
        return 0
    if connection.vendor != "postgresql":  # the embedded SQLite demo: look up, then insert
        existing = set(
            ProcessParty.objects.filter(
                process_id=process.pk, reason=reason, organisation_id__in=organisation_ids
            ).values_list("organisation_id", flat=True)
        )
        new = [pk for pk in organisation_ids if pk not in existing]
        ProcessParty.objects.bulk_create(
            [
                ProcessParty(process_id=process.pk, organisation_id=pk, reason=reason, since_at=at)
                for pk in new
            ],
            ignore_conflicts=True,
        )
        return len(new)
    # One statement: the parties already there are skipped by the unique constraint,
    # and the rows written are the new ones (no look-up first).
    meta = ProcessParty._meta
    quote = connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in ("process", "organisation")}
    statement = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model)
        f"({column['process']}, {column['organisation']}, "
        f"{quote(meta.get_field('reason').column)}, {quote(meta.get_field('since_at').column)}) "
        "SELECT %s, o, %s, %s FROM unnest(%s::bigint[]) AS o "
        "ON CONFLICT DO NOTHING RETURNING 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [process.pk, reason, at, organisation_ids])
        return len(cursor.fetchall())


# --- Individuals ---------------------------------------------------------------------


@transaction.atomic
def individual_register(
    *,
    personal_identity_number: str,
    given_name: str,
    family_name: str,
    address: str = "",
    protected_identity: bool = False,
    by,
    request=None,
) -> Individual:
    """Register a person who is not yet in the register (the registration page; the
    admin is not needed). The number is validated and normalised by the model; a number
    already registered is refused. The creation is access-logged."""
    number = personnummer.parse(personal_identity_number).formatted
    if Individual.objects.filter(personal_identity_number=number).exists():
        raise ValidationError(_("A person with this number is already registered."))
    individual = Individual.objects.create(
        personal_identity_number=number,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        address=address.strip(),
        protected_identity=protected_identity,
    )
    access_log_record(
        user=by,
        action=AccessLog.Action.CREATE,
        purpose="Registrering av person",
        individual=individual,
        request=request,
    )
    return individual
