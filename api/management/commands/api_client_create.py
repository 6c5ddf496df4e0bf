"""Issue an API key: ``manage.py api_client_create --organisation <id or HSA id>
--name "TakeCare SÖS" --scope discharge:read --scope discharge:write``. The key is
printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from api.models import Scope
from api.services import api_client_create
from coordination.models import Organisation


class Command(BaseCommand):
    help = "Issue an API key for a system acting for an organisation (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="id or HSA id")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scope", action="append", required=True, choices=Scope.values, dest="scopes"
        )

    def handle(self, *args, organisation, name, scopes, **options):
        condition = Q(hsa_id=organisation) if not organisation.isdigit() else Q(pk=organisation)
        found = list(Organisation.objects.filter(condition)[:2])
        if len(found) != 1:
            raise CommandError(f"No single organisation matches {organisation!r}.")
        try:
            issued = api_client_create(organisation=found[0], name=name, scopes=scopes)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"API client {issued.client} ({issued.client.key_prefix})")
        self.stdout.write(f"Key (shown only now): {issued.key}")
