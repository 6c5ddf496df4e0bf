"""PostgreSQL refuses UPDATE and DELETE on the access log, whatever the caller.

TRUNCATE is a table privilege: revoke it from the application role in production (README,
"Production deployment"); a trigger on it would also stop test databases being flushed.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION coordination_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'coordination_accesslog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER coordination_accesslog_no_update_delete
    BEFORE UPDATE OR DELETE ON coordination_accesslog
    FOR EACH ROW EXECUTE FUNCTION coordination_accesslog_append_only();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS coordination_accesslog_no_update_delete ON coordination_accesslog;
DROP FUNCTION IF EXISTS coordination_accesslog_append_only();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("coordination", "0003_access_log")]
    operations = [migrations.RunPython(guard, unguard)]
