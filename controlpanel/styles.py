"""The lesson styles: the one list that lessons, learners' preferences and the catalog share.

Plain Python, no Django, so the pure-Python catalog and generator can read it as well as the
models of ``accounts`` (below ``lessons``) and ``lessons``. Values are stored in the database;
changing one needs a migration of both apps.
"""

STYLE_CHOICES: tuple[tuple[str, str], ...] = (
    ("visual", "Visual"),
    ("narrative", "Narrative"),
    ("musical", "Musical"),
    ("playful", "Playful"),
    ("analytical", "Analytical"),
)
STYLES: tuple[str, ...] = tuple(value for value, _ in STYLE_CHOICES)


def style_members() -> list[tuple[str, tuple[str, str]]]:
    """``(NAME, (value, label))`` pairs for a ``TextChoices`` made with Django's functional API."""
    return [(value.upper(), (value, label)) for value, label in STYLE_CHOICES]
