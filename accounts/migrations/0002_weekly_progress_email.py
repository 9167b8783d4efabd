"""The learner's opt-in is for a weekly e-mail of their own progress, not the operator's reports."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="userpreferences", old_name="report_emails", new_name="weekly_progress_email"),
        migrations.AlterField(
            model_name="userpreferences",
            name="weekly_progress_email",
            field=models.BooleanField(
                default=False, help_text="E-mail the learner a summary of their own progress every Monday."
            ),
        ),
    ]
