"""Background work of the progress app: ids in, one service call."""

from celery import shared_task

from accounts.models import User
from progress.services import achievements_award


@shared_task(name="progress.award_achievements")
def award_achievements_task(*, user_id: int) -> list[str]:
    """Award what the learner has earned; idempotent (each achievement at most once)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return []
    return [award.achievement.code for award in achievements_award(user=user)]


@shared_task(name="progress.weekly_email_send_due")
def weekly_email_send_due_task() -> int:
    """Each opted-in learner's e-mail for their last finished week; idempotent (once per learner and week)."""
    from progress.weekly_email import weekly_email_send_due

    return weekly_email_send_due()
