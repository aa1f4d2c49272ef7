# Program.search_text (a generated column) and the keyword search's index on it.
#
# `search_text LIKE '%…%'` (portal.selectors.programs.program_list) is served on PostgreSQL by a pg_trgm GIN index:
# pg_trgm (0002) extracts trigrams from Japanese text because the database's ctype is UTF-8. SQLite has no
# such index and scans, which is fine at demo size; hence RunPython checking the vendor.
import django.db.models.functions.text
from django.db import migrations, models


def create_trgm_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS portal_program_search_trgm "
            "ON portal_program USING gin (search_text gin_trgm_ops)"
        )


def drop_trgm_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS portal_program_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_pg_trgm")]

    operations = [
        migrations.AddField(
            model_name="program",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Lower(
                    django.db.models.functions.text.Concat(
                        "title", models.Value(" "), "summary", models.Value(" "), "story",
                        models.Value(" "), "background", models.Value(" "), "about_nushi",
                        models.Value(" "), "meeting_place", models.Value(" "), "meeting_address",
                        models.Value(" "), "okaeshi", output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddIndex(
            model_name="session",
            index=models.Index(fields=["program", "starts_at"], name="portal_session_program"),
        ),
        migrations.RunPython(create_trgm_index, drop_trgm_index),
    ]
