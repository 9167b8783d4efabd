"""``manage.py generate_report --period daily|weekly|monthly [--date YYYY-MM-DD] [--force] [--send] [--only-if-served]``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from controlpanel.errors import ApplicationError
from telemetry import services
from telemetry.periods import KINDS


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Generate the daily, weekly or monthly report for the period containing --date (default: the last "
        "finished period, in REPORT_TIME_ZONE). An existing report is returned as it is unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, choices=KINDS)
        parser.add_argument("--date", dest="day", type=_date, help="any day inside the wanted period (YYYY-MM-DD)")
        parser.add_argument("--force", action="store_true", help="rebuild the report in place (and resend with --send)")
        parser.add_argument("--send", action="store_true", help="e-mail it and post it to the webhook")
        parser.add_argument("--only-if-served", action="store_true",
                            help="skip (and succeed) when the product recorded nothing in the period, as on a first start")

    def handle(self, *args, period, day, force, send, only_if_served, **options):
        self.stdout.write(f"Building the {period} report…")
        try:
            result = services.report_generate(kind=period, day=day, force=force, send=send,
                                              only_if_served=only_if_served)
        except services.PeriodNotServed as exc:
            self.stdout.write(f"Skipped: {exc.message}")
            return
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        report = result.report
        verb = {"created": "Created", "existing": "Already there:", "regenerated": "Regenerated"}[result.status]
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {report} (id {report.pk}, version {report.version}, "
            f"{report.starts_at:%Y-%m-%d %H:%M %Z} to {report.ends_at:%Y-%m-%d %H:%M %Z}, built in {report.generation_ms:.0f} ms)"
        ))
        for channel, outcome in (report.delivery or {}).items():
            self.stdout.write(f"  {channel}: {outcome.get('status')} after {outcome.get('attempts', 0)} attempt(s)"
                              + (f" — {outcome['error']}" if outcome.get("error") else ""))
