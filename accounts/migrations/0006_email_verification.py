from django.db import migrations, models
from django.utils import timezone


def mark_existing_addresses_verified(apps, schema_editor):
    """Addresses held before verification existed keep receiving their e-mail."""
    User = apps.get_model("accounts", "User")
    User.objects.exclude(email="").filter(email_verified_at__isnull=True).update(email_verified_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_username_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True, null=True,
                help_text="When ``email`` was verified through its link; e-mail goes only to verified addresses.",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email",
            field=models.EmailField(
                blank=True, max_length=254, verbose_name="pending e-mail address",
                help_text="A new address waiting for its verification link; ``email`` changes once it is verified.",
            ),
        ),
        migrations.RunPython(mark_existing_addresses_verified, migrations.RunPython.noop),
    ]
