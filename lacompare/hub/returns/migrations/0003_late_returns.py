"""Late returns: a round's time zone (its dates are whole days there) and per-service
extensions (service, round, new closing moment, who, why)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_loginfailure_address_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="round",
            name="time_zone",
            field=models.CharField(default="Europe/London", max_length=64),
        ),
        migrations.CreateModel(
            name="Extension",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("closes_at", models.DateTimeField()),
                ("granted_by_name", models.CharField(max_length=150)),
                ("reason", models.TextField()),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "granted_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "round",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="extensions",
                        to="returns.round",
                    ),
                ),
                (
                    "service",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="extensions",
                        to="returns.service",
                    ),
                ),
            ],
            options={
                "ordering": ["round", "service__name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("round", "service"), name="one_extension_per_service"
                    )
                ],
            },
        ),
    ]
