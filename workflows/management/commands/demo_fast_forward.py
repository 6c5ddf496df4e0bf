import math

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.models import Deadline
from workflows.services import deadlines_fast_forward
from workflows.tasks import SweepResult, deadlines_sweep

DEMO_DOMAIN = "@demo.kardborre.se"


class Command(BaseCommand):
    help = (
        "Demo only: let HOURS pass for the open deadlines of the demo cases, sweeping after "
        "every step as beat would, so reminders, escalations and breaches appear at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24.0)
        parser.add_argument(
            "--step", type=float, default=1.0, help="Hours between two sweeps (default 1)."
        )
        parser.add_argument(
            "--process", type=int, default=None, help="Only the deadlines of this case."
        )

    def handle(self, *args, hours, step, process, **options):
        if not settings.DEBUG:
            raise CommandError("demo_fast_forward runs only in the demo (DEBUG=true).")
        if hours <= 0 or step <= 0:
            raise CommandError("--hours and --step must be positive.")
        # Demo data only: deadlines of demo organisations (loaded by load_demo_data).
        deadlines = Deadline.objects.filter(
            responsible_organisation__functional_mailbox__endswith=DEMO_DOMAIN
        )
        if process is not None:
            deadlines = deadlines.filter(process_id=process)
        total = SweepResult()
        moved = 0
        steps = math.ceil(hours / step)
        for n in range(steps):
            shift = min(step, hours - n * step)
            moved = max(moved, deadlines_fast_forward(hours=shift, deadlines=deadlines))
            result = deadlines_sweep()
            for field in ("reminders", "escalations", "breaches", "emails"):
                setattr(total, field, getattr(total, field) + getattr(result, field))
        self.stdout.write(f"Moved {moved} open demo deadline(s) {hours:g} h back.")
        self.stdout.write(
            f"Sweeps: {total.reminders} reminder(s), {total.escalations} escalation(s), "
            f"{total.breaches} breach(es); {total.emails} email(s) in the outbox for the "
            "worker to deliver."
        )
