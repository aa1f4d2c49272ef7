from django.db import migrations, models


def count_rain_date_moves(apps, schema_editor):
    # A session already moved to its rain date changed its times once (its calendar SEQUENCE was 1).
    Session = apps.get_model("portal", "Session")
    Session.objects.filter(moved_to_rain_date=True).update(times_changed=1)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_photo_thumbnails")]

    operations = [
        migrations.AddField(
            model_name="session",
            name="times_changed",
            field=models.PositiveIntegerField(default=0, verbose_name="日時の変更回数"),
        ),
        migrations.AddField(
            model_name="historicalsession",
            name="times_changed",
            field=models.PositiveIntegerField(default=0, verbose_name="日時の変更回数"),
        ),
        migrations.RunPython(count_rain_date_moves, migrations.RunPython.noop),
    ]
