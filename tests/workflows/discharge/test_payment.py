"""Pure rules of payment responsibility (workflows.deadlines)."""

import datetime as dt

from coordination import clock
from workflows import deadlines

STHLM = clock.STOCKHOLM
NOON = dt.time(12, 0)


def at(*args):
    return dt.datetime(*args, tzinfo=STHLM)


def test_day_zero_before_noon_is_the_same_day():
    assert deadlines.payment_day_zero(at(2026, 1, 12, 11, 59), cutoff=NOON) == dt.date(2026, 1, 12)


def test_day_zero_at_or_after_noon_is_the_next_day():
    assert deadlines.payment_day_zero(at(2026, 1, 12, 12, 0), cutoff=NOON) == dt.date(2026, 1, 13)


def test_law_default_has_no_cut_off():
    assert deadlines.payment_day_zero(at(2026, 1, 12, 23, 0), cutoff=None) == dt.date(2026, 1, 12)


def test_somatic_two_free_days_counting_day_zero():
    # Notice Monday 10:00: Mon, Tue, Wed free; Thursday is the first paid day.
    notice = at(2026, 1, 12, 10, 0)
    assert deadlines.payment_start_date(notice, free_days=2, cutoff=NOON) == dt.date(2026, 1, 15)
    assert (
        deadlines.payable_dates(notice, until=at(2026, 1, 14, 15, 0), free_days=2, cutoff=NOON)
        == []
    )
    assert (
        len(deadlines.payable_dates(notice, until=at(2026, 1, 16, 9, 0), free_days=2, cutoff=NOON))
        == 2
    )


def test_somatic_notice_after_noon_moves_everything_one_day():
    notice = at(2026, 1, 12, 12, 30)
    dates = deadlines.payable_dates(notice, until=at(2026, 1, 16, 9, 0), free_days=2, cutoff=NOON)
    assert dates == [dt.date(2026, 1, 16)]


def test_psychiatric_five_free_days():
    notice = at(2026, 1, 12, 9, 0)
    assert deadlines.payment_start_date(notice, free_days=5, cutoff=NOON) == dt.date(2026, 1, 18)
    dates = deadlines.payable_dates(notice, until=at(2026, 1, 20, 9, 0), free_days=5, cutoff=NOON)
    assert dates == [dt.date(2026, 1, 18), dt.date(2026, 1, 19), dt.date(2026, 1, 20)]


def test_amount_uses_each_days_year_across_year_end():
    rates = {2019: 7800, 2020: 8200}
    days = [dt.date(2019, 12, 31), dt.date(2020, 1, 1), dt.date(2020, 1, 2)]
    assert deadlines.payment_amount(days, rate_for_year=rates.get) == 7800 + 2 * 8200
    assert deadlines.payment_amount([dt.date(2021, 5, 1)], rate_for_year=rates.get) is None


def test_preconditions():
    due = at(2026, 1, 2, 10, 0)
    assert (
        deadlines.payment_preconditions_unmet(
            admission_notice_due_at=due,
            admission_notice_sent_at=at(2026, 1, 2, 9, 0),
            ready_notice_at=at(2026, 1, 5, 9, 0),
            individual_declined=False,
        )
        == []
    )
    assert deadlines.payment_preconditions_unmet(
        admission_notice_due_at=due,
        admission_notice_sent_at=at(2026, 1, 2, 11, 0),
        ready_notice_at=None,
        individual_declined=True,
    ) == ["ADMISSION_NOTICE_LATE", "READY_NOTICE_MISSING", "INDIVIDUAL_DECLINED"]


def test_admission_notice_due_counts_from_the_later_judgement():
    admitted = at(2026, 3, 28, 20, 0)
    assert deadlines.admission_notice_due_at(admitted_at=admitted, judged_at=admitted) == at(
        2026, 3, 29, 21, 0
    )  # 24 elapsed hours across the DST change
    later = at(2026, 3, 30, 9, 0)
    assert deadlines.admission_notice_due_at(admitted_at=admitted, judged_at=later) == at(
        2026, 3, 31, 9, 0
    )


# --- Average model, working days, the days of an episode ----------------------------------


def test_days_ready_counts_from_day_zero_and_clamps_same_day():
    sent = at(2026, 1, 12, 12, 30)  # after noon: day 0 is the 13th
    assert deadlines.days_ready(sent, at(2026, 1, 12, 18, 0), cutoff=NOON) == 0
    assert deadlines.days_ready(sent, at(2026, 1, 13, 9, 0), cutoff=NOON) == 0
    assert deadlines.days_ready(sent, at(2026, 1, 16, 9, 0), cutoff=NOON) == 3
    # SKR counts from the notice's own day.
    assert deadlines.days_ready(sent, at(2026, 1, 16, 9, 0), cutoff=None) == 4


def test_days_ready_across_the_dst_change_are_calendar_days():
    # Sent Saturday 28 March 2026 10:00, discharged Tuesday 31 March (DST on the 29th).
    sent = at(2026, 3, 28, 10, 0)
    assert deadlines.days_ready(sent, at(2026, 3, 31, 0, 30), cutoff=NOON) == 3


def test_working_days_skip_weekends_and_holidays():
    friday = at(2026, 4, 3, 9, 0)  # Långfredagen, a holiday; Monday the 6th is annandag påsk
    assert not deadlines.is_working_day(dt.date(2026, 4, 3))
    assert not deadlines.is_working_day(dt.date(2026, 4, 6))
    assert deadlines.is_working_day(dt.date(2026, 4, 7))
    # Two free working days after day 0 (Friday 3 April): the 7th and the 8th; paid from the 9th.
    assert deadlines.payment_start_date(
        friday, free_days=2, cutoff=NOON, working_days=True
    ) == dt.date(2026, 4, 9)
    # Working days utskrivningsklar from Friday to Thursday the 9th: 7th, 8th, 9th.
    assert deadlines.days_ready(friday, at(2026, 4, 9, 9, 0), cutoff=NOON, working_days=True) == 3


def test_average_settlement_day_zero_discharges_count_in_the_mean():
    settlement = deadlines.average_settlement([0, 0, 0, 9], level=2)
    assert settlement.episodes == 4 and settlement.days == 9
    assert str(settlement.mean) == "2.25"
    assert settlement.days_above == 1  # 9 - 2 × 4
    assert settlement.amount(9300) == 9300
    assert settlement.amount(None) is None  # a missing amount is never 0


def test_average_settlement_at_or_below_the_level_pays_nothing():
    assert deadlines.average_settlement([2, 2], level=2).days_above == 0
    assert deadlines.average_settlement([1, 3], level=2).amount(9300) == 0
    empty = deadlines.average_settlement([], level=2)
    assert empty.mean is None and empty.days_above == 0


def test_average_settlement_with_a_fractional_level():
    settlement = deadlines.average_settlement([3, 3], level="2.5")
    assert str(settlement.days_above) == "1"
    assert settlement.amount(9300) == 9300
