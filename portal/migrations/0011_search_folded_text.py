# Program.search_text becomes an ordinary column written by the program service: the public text folded
# for width, kana and case, with the readings of its kanji (portal.search), which a generated column
# cannot compute. Existing programs are filled in batches (the large demo has 10,000), then the pg_trgm
# index the keyword search uses (as in 0003) is made again on the new column.
from django.db import migrations, models


def fill_search_text(apps, schema_editor):
    # The live folding code on purpose: the text must be folded exactly as queries are today.
    from portal.search import reindex

    reindex(apps.get_model("portal", "Program").objects.all())


def create_trgm_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS portal_program_search_trgm "
            "ON portal_program USING gin (search_text gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_program_online_url")]

    operations = [
        # Dropping the generated column drops its index too.
        migrations.RemoveField(model_name="program", name="search_text"),
        migrations.AddField(
            model_name="program",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(create_trgm_index, migrations.RunPython.noop),
    ]
