from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coordination.services import OrganisationImportError, organisations_import_csv


class Command(BaseCommand):
    help = (
        "Import organisations from a CSV file (UTF-8, ';' or ','). Columns: name, kind, "
        "huvudman, area (required), hsa_id, parent, acting_for, functional_mailbox, phone, "
        "reachability (YES/NO/UNKNOWN), opening_hours_note. Nothing is imported if any row "
        "is wrong; every error is listed with its line number."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            result = organisations_import_csv(data=data)
        except OrganisationImportError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{file}: {len(exc.errors)} error(s); nothing was imported."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file}: {result.created} created, {result.updated} updated."
            )
        )
