"""The badges learners can earn. Rules live in progress.services (ACHIEVEMENT_RULES), keyed by code."""

from django.db import migrations

ACHIEVEMENTS = [
    ("first-lesson", "First Diamond", "Complete your first Crazy Diamonds lesson.", "◆", 1),
    ("five-lessons", "Handful of Diamonds", "Complete five lessons.", "✦", 2),
    ("ten-lessons", "Diamond Collector", "Complete ten lessons.", "❖", 3),
    ("perfect-score", "Sharp Eye", "Answer every check of a lesson right on the first try.", "✔", 4),
    ("streak-3", "Three in a Row", "Complete lessons on three days in a row.", "③", 5),
    ("streak-7", "Full Week", "Complete lessons on seven days in a row.", "⑦", 6),
    ("category-complete", "Category Complete", "Reach full progress in a category.", "★", 7),
    ("explorer", "Explorer", "Complete a lesson in every category.", "✺", 8),
    ("stretch", "Stretch Goal", "Complete a difficulty 5 lesson.", "⇧", 9),
]


def create(apps, schema_editor):
    Achievement = apps.get_model("progress", "Achievement")
    for code, name, description, icon, order in ACHIEVEMENTS:
        Achievement.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "icon": icon, "order": order}
        )


def remove(apps, schema_editor):
    Achievement = apps.get_model("progress", "Achievement")
    Achievement.objects.filter(code__in=[row[0] for row in ACHIEVEMENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("progress", "0002_learningstreak")]

    operations = [migrations.RunPython(create, remove)]
