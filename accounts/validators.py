"""Account field rules shared by the model, the dashboard forms and the API serializers."""

from zoneinfo import available_timezones

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
