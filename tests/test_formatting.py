import pytest

from model.formatting import probability_text


@pytest.mark.parametrize(
    ("value", "decimals", "unit", "expected"),
    [
        (0.9312, 1, "%", "93.1%"),
        (1.0, 1, "%", "> 99.9%"),
        (0.99996, 1, "%", "> 99.9%"),
        (0.9994, 1, "%", "99.9%"),
        (0.0, 1, "%", "< 0.1%"),
        (0.0004, 1, "%", "< 0.1%"),
        (0.0006, 1, "%", "0.1%"),
        (0.5, 0, "%", "50%"),
        (0.999, 0, "%", "> 99%"),
        (0.004, 0, " %", "< 1 %"),
        (0.9312, 1, " %", "93.1 %"),
    ],
)
def test_probabilities_never_read_as_certainty(value, decimals, unit, expected):
    assert probability_text(value, decimals, unit) == expected
