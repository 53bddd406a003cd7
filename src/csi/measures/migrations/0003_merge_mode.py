from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_import_bounds")]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="mode",
            field=models.CharField(
                choices=[
                    ("merge", "Merge (add the events not already there)"),
                    ("replace", "Replace (the file's tickets get exactly the file's events)"),
                ],
                default="merge",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="new_events",
            field=models.BigIntegerField(default=0, help_text="Events the source did not hold before"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="seen_events",
            field=models.BigIntegerField(default=0, help_text="Events the source already held"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="gaining_tickets",
            field=models.BigIntegerField(default=0, help_text="Tickets that gained events"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="removed_events",
            field=models.BigIntegerField(
                default=0,
                help_text="Replace mode: events of the file's tickets hidden because the file lacks them",
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="seen_in",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Batches whose copies of the already-held events were visible",
            ),
        ),
    ]
