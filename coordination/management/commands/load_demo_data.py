from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from coordination import demo

# Loaders run in this order; an app with demo cases adds its own after the users.
LOADERS = [
    "coordination.demo.load_registry",
    "coordination.demo.load_individuals",
    "coordination.demo.load_users",
    "workflows.sip.demo.load",
    "workflows.discharge.demo.load",
    "workflows.deviations.demo.load",
]


class Command(BaseCommand):
    help = "Load the Stockholm demo registry, demo users and synthetic cases (idempotent)."

    def handle(self, *args, **options):
        for dotted in LOADERS:
            import_string(dotted)()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, _first, _last, organisation, role in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<26} {role:<17} {organisation}")
        self.stdout.write(f"  {'admin':<26} {'ADMIN':<17} (Django admin and registry)")
