"""An index for counting one address's recent failed logins (the per-address ceiling)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="loginfailure",
            index=models.Index(fields=["address", "at"], name="loginfailure_addr_at"),
        ),
    ]
