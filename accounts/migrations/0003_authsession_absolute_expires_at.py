"""A session has a hard end: refreshing never extends it past login + SESSION_ABSOLUTE_DAYS."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def set_absolute_ends(apps, schema_editor):
    AuthSession = apps.get_model("accounts", "AuthSession")
    lifetime = timedelta(days=settings.SESSION_ABSOLUTE_DAYS)
    for session in AuthSession.objects.filter(absolute_expires_at__isnull=True).only("pk", "created_at").iterator():
        AuthSession.objects.filter(pk=session.pk).update(absolute_expires_at=session.created_at + lifetime)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_weekly_progress_email")]

    operations = [
        migrations.AddField(
            model_name="authsession",
            name="absolute_expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(set_absolute_ends, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="authsession",
            name="absolute_expires_at",
            field=models.DateTimeField(
                help_text="The session's hard end (login + SESSION_ABSOLUTE_DAYS); refreshing never goes beyond it."
            ),
        ),
    ]
