"""How numbers are written for people: probabilities that never claim certainty."""

DECIMALS = 1


def probability_text(value: float, decimals: int = DECIMALS, unit: str = "%") -> str:
    """A probability as a percentage, never shown as exactly 100 % or 0 %.

    A softmax output is never exactly 0 or 1, and "100.0 %" reads as certainty;
    values that would round to the ends are written as "> 99.9%" and "< 0.1%".

    Args:
        value: A probability in [0, 1].
        decimals: Digits after the decimal point.
        unit: Written after the number ("%" on pages, " %" in the PDF).

    Returns:
        e.g. "93.1%", "> 99.9%", "< 0.1%".
    """
    step = 10.0**-decimals  # the smallest step shown, in percent
    percent = 100.0 * float(value)
    if percent > 100.0 - step / 2:
        return f"> {100.0 - step:.{decimals}f}{unit}"
    if percent < step / 2:
        return f"< {step:.{decimals}f}{unit}"
    return f"{percent:.{decimals}f}{unit}"
