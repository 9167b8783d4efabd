"""Usernames compare by a key: NFKC, Unicode case folding and look-alike letters, on every database."""

from django.db import migrations, models

from accounts.validators import username_key, username_normalize


def fill_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.only("pk", "username").iterator():
        name = username_normalize(user.username)
        User.objects.filter(pk=user.pk).update(username=name, username_key=username_key(name))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_username_without_at")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(max_length=600, null=True, editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(
                max_length=600, unique=True, editable=False,
                help_text="The username folded for comparison (NFKC, case folding, look-alike letters): one account per key.",
            ),
        ),
    ]
