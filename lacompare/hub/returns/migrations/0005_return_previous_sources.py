# Where each of last year's figures came from (issue 21, item 5).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0004_reminders_receipts"),
    ]

    operations = [
        migrations.AddField(
            model_name="return",
            name="previous_sources",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
