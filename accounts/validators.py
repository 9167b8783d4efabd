"""Account field rules shared by the model, the dashboard forms and the API serializers."""

import unicodedata
from zoneinfo import available_timezones

from confusable_homoglyphs import confusables
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

TIME_ZONES = frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA time-zone name this system knows ("Europe/Lisbon")."""
    if value not in TIME_ZONES:
        raise ValidationError("Unknown time zone: %(value)s", params={"value": value}, code="invalid_time_zone")


def time_zone_choices() -> list[tuple[str, str]]:
    """Every known time zone, sorted, labelled for people ("America/New York")."""
    return [(name, name.replace("_", " ")) for name in sorted(TIME_ZONES)]


@deconstructible
class UsernameValidator(UnicodeUsernameValidator):
    """Letters, digits and ``. + - _``; never ``@``, so no username can be mistaken for (or
    squat) someone's e-mail address: a login identifier with ``@`` is always an e-mail."""

    regex = r"^[\w.+-]+\Z"
    message = "Enter a valid username. This value may contain only letters, numbers, and ./+/-/_ characters."


validate_username = UsernameValidator()


def username_normalize(value: str) -> str:
    """A username as stored: NFKC-normalised (full-width and mathematical letters become plain
    ones: ``ｄｅｍｏ`` and ``𝐝𝐞𝐦𝐨`` are ``demo``), surrounding spaces removed."""
    return unicodedata.normalize("NFKC", (value or "").strip())


def _latin_look_alike(homoglyphs: list[dict]) -> str | None:
    for glyph in homoglyphs:
        if glyph["c"].isascii() or "LATIN" in glyph["n"]:
            return glyph["c"]
    return None


def username_key(value: str) -> str:
    """What makes two usernames the same name: NFKC, Unicode case folding (``str.casefold``,
    the same on every database: ``Ärger`` and ``ärger`` are one name) and every letter that is
    not Latin or common but looks like one replaced by that look-alike (the skeleton idea of
    Unicode TR39, from ``confusable_homoglyphs``' table: Cyrillic ``dеmo`` is ``demo``).

    ``User.username_key`` holds it under a unique constraint, so no two accounts can have
    names that read the same, whichever registered first and however they race."""
    folded = username_normalize(value).casefold()
    found = confusables.is_confusable(folded, greedy=True, preferred_aliases=["latin", "common"]) or []
    mapping = {hit["character"]: _latin_look_alike(hit["homoglyphs"]) for hit in found}
    skeleton = "".join(mapping.get(char) or char for char in folded)
    return unicodedata.normalize("NFKC", skeleton).casefold()
