"""Lists (default) or purges (--execute) finished cases past their retention period."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oversight import retention


class Command(BaseCommand):
    help = (
        "Gallring: list finished cases past their retention period (settings.RETENTION_YEARS, "
        "years after the case finished) and, with --execute, delete them. The access log "
        "is never purged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--execute",
            action="store_true",
            help="Delete the cases listed. Without it nothing is changed (dry run).",
        )
        parser.add_argument(
            "--record-class",
            action="append",
            dest="record_classes",
            metavar="CLASS",
            help=f"Only this record class ({', '.join(retention.RECORD_CLASSES)}); repeatable.",
        )

    def handle(self, *args, execute=False, record_classes=None, **options):
        unknown = sorted(set(record_classes or []) - set(retention.RECORD_CLASSES))
        if unknown:
            raise CommandError(
                f"Unknown record class {', '.join(unknown)}: "
                f"choose from {', '.join(retention.RECORD_CLASSES)}."
            )
        try:
            years = retention.retention_years()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        now = timezone.now()
        for record_class in record_classes or retention.RECORD_CLASSES:
            cutoff = retention.years_before(now, years[record_class])
            self.stdout.write(
                f"{record_class}: kept {years[record_class]} years after the case finished "
                f"(due if finished on or before {cutoff:%Y-%m-%d %H:%M})"
            )
        expired = retention.expired_cases(now=now, record_classes=record_classes)
        if not expired:
            self.stdout.write("No case is past its retention period.")
            return
        for item in expired:
            finished = timezone.localtime(item.finished)
            line = f"  {item.record_class} #{item.process.pk} finished {finished:%Y-%m-%d}"
            if item.blocked_by:
                line += f" (kept: referred to by {item.blocked_by})"
            self.stdout.write(line)
        if not execute:
            self.stdout.write(
                f"Dry run: {len(expired)} case(s) past retention; nothing deleted. "
                "Run with --execute to delete them."
            )
            return
        purged, kept = retention.purge(expired)
        for item in kept:
            self.stdout.write(f"  kept {item.record_class} #{item.process.pk}: {item.blocked_by}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {len(purged)} case(s); kept {len(kept)}. The access log is unchanged."
            )
        )
