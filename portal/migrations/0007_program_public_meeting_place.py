# The program's public place (meeting_place, district, map point) kept apart from its exact address
# (meeting_postal_code, meeting_address), which only people allowed to see the nushi's contact read.
#
# Data: programs made from a need used to copy the nushi's private address into what the public page,
# its map, its JSON-LD and its .ics showed. The address fields stay (they are now private), but
# - a public meeting_place that holds a private address (the need's, the nushi's or the program's own
#   exact address) is replaced by the district's name (or emptied: staff set a landmark);
# - a map point on a program whose exact address is the need's or the nushi's (a resident's home, as
#   far as we can tell) is removed: it was most likely placed on that home. Staff may place it again
#   on a public meeting point.
# Schema: search_text no longer includes meeting_address (a keyword search must not find a program by
# someone's home address). A generated column cannot be altered, so it is dropped and added again,
# with its pg_trgm index (as in 0003).
import unicodedata

import django.db.models.functions.text
from django.db import migrations, models


def _norm(text: str) -> str:
    # Frozen copy of the comparison used when this migration was written: width and case folded,
    # spaces, postal marks and dash variants ignored.
    text = unicodedata.normalize("NFKC", text or "").lower()
    for dash in "‐‑‒–—―−ーｰ":
        text = text.replace(dash, "-")
    return "".join(ch for ch in text if not ch.isspace() and ch != "〒")


def _holds(public: str, private: str) -> bool:
    """Whether a public text holds a private address: the same, or containing it when the address
    is exact (has a house number)."""
    if not public or not private:
        return False
    return public == private or (any(ch.isdigit() for ch in private) and private in public)


def hide_private_addresses(apps, schema_editor):
    Program = apps.get_model("portal", "Program")
    rows = Program.objects.select_related("need", "nushi", "district").only(
        "pk", "meeting_place", "meeting_address", "latitude", "longitude",
        "need__address", "nushi__address", "district__name",
    )  # fmt: skip
    for program in rows.iterator(chunk_size=500):
        homes = [_norm(program.nushi.address)]
        if program.need is not None:
            homes.append(_norm(program.need.address))
        homes = [h for h in homes if h]
        private = [*homes, _norm(program.meeting_address)]
        changes = {}
        if any(_holds(_norm(program.meeting_place), p) for p in private):
            changes["meeting_place"] = program.district.name if program.district else ""
        at_home = any(_norm(program.meeting_address) == h for h in homes)
        if at_home and program.latitude is not None:
            changes["latitude"] = changes["longitude"] = None
        if changes:
            Program.objects.filter(pk=program.pk).update(**changes)


def create_trgm_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS portal_program_search_trgm "
            "ON portal_program USING gin (search_text gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_session_times_changed")]

    operations = [
        migrations.RunPython(hide_private_addresses, migrations.RunPython.noop),
        # Dropping the column drops its index too.
        migrations.RemoveField(model_name="program", name="search_text"),
        migrations.AddField(
            model_name="program",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Lower(
                    django.db.models.functions.text.Concat(
                        "title",
                        models.Value(" "),
                        "summary",
                        models.Value(" "),
                        "story",
                        models.Value(" "),
                        "background",
                        models.Value(" "),
                        "about_nushi",
                        models.Value(" "),
                        "meeting_place",
                        models.Value(" "),
                        "okaeshi",
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(create_trgm_index, migrations.RunPython.noop),
    ]
