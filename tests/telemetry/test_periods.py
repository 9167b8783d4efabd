"""Report periods and their boundaries in non-UTC zones, including DST changes."""

from datetime import UTC, date, datetime

from telemetry.periods import last_complete, period_for


def utc(period_instant):
    return period_instant.astimezone(UTC).replace(tzinfo=None)


def test_daily_period_in_kolkata_starts_at_1830_utc_the_day_before():
    period = period_for("daily", date(2026, 3, 10), "Asia/Kolkata")
    assert (period.start, period.end) == (date(2026, 3, 10), date(2026, 3, 11))
    assert utc(period.starts_at) == datetime(2026, 3, 9, 18, 30)
    assert utc(period.ends_at) == datetime(2026, 3, 10, 18, 30)


def test_daily_period_in_sao_paulo_starts_at_0300_utc():
    period = period_for("daily", date(2026, 7, 1), "America/Sao_Paulo")
    assert utc(period.starts_at) == datetime(2026, 7, 1, 3, 0)


def test_berlin_day_of_the_spring_change_lasts_23_hours():
    period = period_for("daily", date(2026, 3, 29), "Europe/Berlin")
    assert utc(period.starts_at) == datetime(2026, 3, 28, 23, 0)
    assert utc(period.ends_at) == datetime(2026, 3, 29, 22, 0)
    assert (period.ends_at - period.starts_at).total_seconds() == 23 * 3600


def test_berlin_day_of_the_autumn_change_lasts_25_hours():
    period = period_for("daily", date(2026, 10, 25), "Europe/Berlin")
    assert (period.ends_at - period.starts_at).total_seconds() == 25 * 3600


def test_weekly_period_starts_on_monday_across_the_berlin_spring_change():
    period = period_for("weekly", date(2026, 3, 29), "Europe/Berlin")  # a Sunday
    assert (period.start, period.end) == (date(2026, 3, 23), date(2026, 3, 30))
    assert utc(period.starts_at) == datetime(2026, 3, 22, 23, 0)  # CET
    assert utc(period.ends_at) == datetime(2026, 3, 29, 22, 0)  # CEST
    assert (period.ends_at - period.starts_at).total_seconds() == (7 * 24 - 1) * 3600


def test_monthly_period_covers_the_calendar_month_in_berlin():
    period = period_for("monthly", date(2026, 3, 17), "Europe/Berlin")
    assert (period.start, period.end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert utc(period.starts_at) == datetime(2026, 2, 28, 23, 0)
    assert utc(period.ends_at) == datetime(2026, 3, 31, 22, 0)


def test_monthly_period_of_december_ends_on_the_first_of_january():
    period = period_for("monthly", date(2026, 12, 31), "Asia/Kolkata")
    assert (period.start, period.end) == (date(2026, 12, 1), date(2027, 1, 1))


def test_last_complete_daily_period_follows_the_local_date_not_utc():
    # 20:00 UTC on 10 March is already 01:30 on 11 March in Kolkata: the last full day is the 10th.
    now = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    assert last_complete("daily", now, "Asia/Kolkata").start == date(2026, 3, 10)
    assert last_complete("daily", now, "America/Sao_Paulo").start == date(2026, 3, 9)


def test_last_complete_weekly_and_monthly_periods():
    now = datetime(2026, 4, 1, 0, 10, tzinfo=UTC)  # 02:10 on Wednesday 1 April in Berlin
    assert last_complete("weekly", now, "Europe/Berlin").start == date(2026, 3, 23)
    assert last_complete("monthly", now, "Europe/Berlin").start == date(2026, 3, 1)
    assert last_complete("monthly", now, "America/Sao_Paulo").start == date(2026, 2, 1)


def test_previous_period_of_a_month_is_the_month_before():
    period = period_for("monthly", date(2026, 3, 1), "Europe/Berlin")
    assert period.previous().start == date(2026, 2, 1)
    assert period.previous().end == date(2026, 3, 1)
