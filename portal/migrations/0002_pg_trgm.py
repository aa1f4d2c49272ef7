# pg_trgm powers Japanese keyword search (trigram GIN indexes); a no-op on SQLite.
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [TrigramExtension()]
