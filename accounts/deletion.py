"""Account deletion: a learner removes their account and everything the product holds about them.

Where the orchestration lives: accounts sits at the bottom of the dependency order
(accounts ← lessons ← progress, lessons ← search, telemetry reads the others), so this module
imports nothing from the other apps. Every per-user row elsewhere either hangs off the user
with ``on_delete=CASCADE`` (sessions, preferences, lesson records, progress markers and history,
streak, badges, weekly e-mail log, search history, saved searches) and goes with
``user.delete()``, or is found generically through ``apps.get_models()``: a foreign key to the
user model declared ``DO_NOTHING`` (telemetry's per-user activity days, kept without a database
constraint) would keep the user's id after the delete, so its rows are re-pointed at a random
negative placeholder id first. That keeps the aggregate figures (distinct active users and
request counts per day) while the rows no longer name anybody; a new app's DO_NOTHING key is
covered with no change here.
"""

import logging
import secrets

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from accounts.models import User
from accounts.services import WrongPassword, sessions_revoke_all

logger = logging.getLogger("accounts.deletion")

PLACEHOLDER_MAX = 2**31 - 2


def _user_fks_left_behind():
    """(model, field) for every foreign key to the user model whose rows a delete leaves in place."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (isinstance(field, models.ForeignKey) and field.remote_field.model is user_model
                    and field.remote_field.on_delete is models.DO_NOTHING):
                yield model, field


def account_delete(*, user: User, password: str) -> dict[str, int]:
    """Delete ``user`` after checking ``password``; returns the rows removed or anonymised per table.

    A wrong password raises ``WrongPassword`` (400 ``wrong_password``) and changes nothing.
    Every session is revoked first, inside the same transaction as the delete.
    """
    if not user.check_password(password or ""):
        raise WrongPassword(details={"password": ["The current password is not correct."]})
    placeholder = -(secrets.randbelow(PLACEHOLDER_MAX) + 1)
    counts: dict[str, int] = {}
    with transaction.atomic():
        sessions_revoke_all(user=user, reason="account_deleted")
        for model, field in _user_fks_left_behind():
            updated = model._default_manager.filter(**{field.attname: user.pk}).update(**{field.attname: placeholder})
            if updated:
                counts[f"{model._meta.label}(anonymised)"] = updated
        _, deleted = user.delete()
        counts.update({label: n for label, n in deleted.items() if n})
    logger.info("account deleted event=%s rows=%s", secrets.token_hex(8),
                ",".join(f"{label}:{n}" for label, n in sorted(counts.items())))
    return counts
