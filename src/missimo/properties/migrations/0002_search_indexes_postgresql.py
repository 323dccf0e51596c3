"""Indexes for the register's search box on PostgreSQL.

The search (services.apply_query) matches each word against street, place and Aktenzeichen by
substring (`UPPER(col) LIKE UPPER('%word%')`) and against house number and Objekt-ID exactly,
OR-ed together. Without an index on every arm PostgreSQL scans all properties twice per page
(count and rows: ~45 ms at 20,000 properties); trigram indexes on the substring arms and
expression indexes on the exact arms let it combine index scans instead.

SQLite (the embedded default) has no such indexes; there the scan of a city's properties is
fast enough. If the database user may not create the pg_trgm extension, the trigram indexes are
skipped with a notice and the search still works, only slower.
"""

from django.db import migrations, transaction

TRIGRAM = ("strasse", "ort", "aktenzeichen")
EXACT = ("hausnummer", "objekt_id")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in EXACT:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "properties_search_{column}" '
                f'ON "properties_property" (UPPER("{column}"::text))'
            )
        try:
            with (
                transaction.atomic(using=schema_editor.connection.alias),
                schema_editor.connection.cursor() as probe,
            ):
                probe.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:  # any refusal: the search works without the index
            print(f"\n  Hinweis: pg_trgm nicht verfügbar ({error}); Suche ohne Trigramm-Index.")
            return
        for column in TRIGRAM:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "properties_search_{column}_trgm" '
                f'ON "properties_property" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in EXACT:
            cursor.execute(f'DROP INDEX IF EXISTS "properties_search_{column}"')
        for column in TRIGRAM:
            cursor.execute(f'DROP INDEX IF EXISTS "properties_search_{column}_trgm"')


class Migration(migrations.Migration):
    dependencies = [("properties", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
