"""Fill the MAS dashboard's figure tables again from the source rows.

The triggers keep them current on every change (``oversight.dashboard_sql``); this
rebuilds them from scratch, e.g. after rows were loaded with the triggers disabled.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from oversight import dashboard_sql


class Command(BaseCommand):
    help = "Rebuild the MAS dashboard's figure tables from the cases (PostgreSQL)."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The dashboard's figure tables exist on PostgreSQL only.")
        with transaction.atomic():
            dashboard_sql.rebuild(connection)
        if not connection.in_atomic_block:
            dashboard_sql.vacuum(connection)
        self.stdout.write("Dashboard figures rebuilt.")
