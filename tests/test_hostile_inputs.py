"""Hostile and odd inputs, one test per row of the table in ``tests/hostile_cases.py``.

Each row is fed to its function (``decode_upload`` or ``load_model``) and
must be decoded as described or refused with its message.
"""

import inspect
import re

import numpy as np
import pytest

from model.inputs import decode_upload
from tests.hostile_cases import CASES, Case, Decoded, Refused


def cases_expecting(outcome: type) -> list:
    return [pytest.param(c, id=c.id) for c in CASES if isinstance(c.expected, outcome)]


def build(case: Case, request: pytest.FixtureRequest):
    return case.build(*(request.getfixturevalue(name) for name in case.feeds.fixtures))


def test_the_table_covers_every_kind_the_issue_lists():
    assert len(CASES) >= 25 + 15 + 5
    assert len({case.id for case in CASES}) == len(CASES)


def test_decoding_never_sees_the_file_name():
    assert list(inspect.signature(decode_upload).parameters) == ["data"]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", cases_expecting(Refused))
def test_refused_inputs_say_why_in_plain_words(case, request):
    with pytest.raises(case.expected.error, match=re.escape(case.expected.message)):
        case.feeds.function(build(case, request))


@pytest.mark.parametrize("case", cases_expecting(Decoded))
def test_accepted_inputs_become_rgb_arrays(case, request):
    decoded = case.feeds.function(build(case, request))
    assert decoded.rgb.dtype == np.uint8
    assert decoded.rgb.shape == (*case.expected.shape, 3)
    if case.expected.note:
        assert any(case.expected.note in note for note in decoded.notes), decoded.notes
    else:
        assert decoded.notes == []
    if case.expected.pixels is not None:
        assert case.expected.pixels(decoded.rgb), case.expected.pixels.__doc__
