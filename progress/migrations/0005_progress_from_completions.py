"""Category progress is counted from lesson completions; the stored counter becomes a self-paced marker.

Repairs existing rows so that no figure can disagree with the learner's completed lessons:
- a stored counter that differs from the learner's counted completions in that category was
  set by hand: it is kept as the self-paced marker; one that agrees is dropped;
- every "lesson" history event is renumbered from the completions before it, so a category's
  history only goes up;
- "system" events (a counter lowered when a category shrank) described the counter only and
  are removed.
"""

from django.db import migrations, models


def counter_to_marker(apps, schema_editor):
    UserProgress = apps.get_model("progress", "UserProgress")
    ProgressEvent = apps.get_model("progress", "ProgressEvent")
    LessonProgress = apps.get_model("lessons", "LessonProgress")
    counted: dict[tuple[int, int], int] = {}
    for user_id, category_id in LessonProgress.objects.filter(status="completed", lesson__is_published=True) \
            .values_list("user_id", "lesson__category_id"):
        counted[(user_id, category_id)] = counted.get((user_id, category_id), 0) + 1
    for row in UserProgress.objects.all().iterator():
        if row.progress == counted.get((row.user_id, row.category_id), 0):
            row.delete()
        else:
            UserProgress.objects.filter(pk=row.pk).update(marked=row.progress)
    ProgressEvent.objects.filter(source="system").delete()
    running: dict[tuple[int, int], int] = {}
    for event in ProgressEvent.objects.filter(source="lesson").order_by("created_at", "id").iterator():
        key = (event.user_id, event.category_id)
        before = running.get(key, 0)
        running[key] = before + 1
        if (event.previous, event.new) != (before, before + 1):
            ProgressEvent.objects.filter(pk=event.pk).update(previous=before, new=before + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0004_weeklyprogressemail"),
        ("lessons", "0002_mastery"),
    ]

    operations = [
        migrations.AddField(
            model_name="userprogress",
            name="marked",
            field=models.PositiveIntegerField(
                blank=True, null=True,
                help_text="Lessons the learner says they have done (self-paced); null: none.",
            ),
        ),
        migrations.RunPython(counter_to_marker, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="userprogress", name="userprogress_progress_le_total"),
        migrations.RemoveField(model_name="userprogress", name="progress"),
        migrations.RemoveField(model_name="userprogress", name="total_lessons"),
        migrations.AlterField(model_name="userprogress", name="last_updated", field=models.DateTimeField()),
        migrations.AlterField(
            model_name="progressevent",
            name="source",
            field=models.CharField(
                choices=[("lesson", "Lesson completed"), ("manual", "Self-paced marker set by the learner")],
                max_length=10,
            ),
        ),
    ]
