"""On PostgreSQL, text search over tickets uses a trigram index (works for Chinese text,
which PostgreSQL's full-text parser does not split into words). SQLite scans instead."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ticket_search_trgm ON tickets_ticket USING gin (search_text gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS ticket_search_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
