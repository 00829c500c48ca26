"""Record and letter ids typed on the command line: ASCII digits only, any case."""

from __future__ import annotations

import pytest

from collectctl.errors import NotFoundError
from collectctl.ledger.collection import parse_record_id, record_id
from collectctl.ledger.letters import letter_ref, parse_letter_ref


@pytest.mark.parametrize(("text", "want"), [("PRM-3", ("PRM", 3)), (" act-12 ", ("ACT", 12))])
def test_record_ids_parse_in_any_case(text: str, want: tuple[str, int]) -> None:
    assert parse_record_id(text) == want
    assert parse_record_id(record_id(*want)) == want


@pytest.mark.parametrize("text", ["PRM-\u0663", "PRM-\uff13", "PRM-", "XYZ-3", "PRM3"])
def test_other_record_ids_are_not_found(text: str) -> None:
    with pytest.raises(NotFoundError, match="is not a record id"):
        parse_record_id(text)


def test_letter_refs_take_ascii_digits_only() -> None:
    assert parse_letter_ref("ltr-7") == 7
    assert parse_letter_ref(letter_ref(41)) == 41
    for text in ("LTR-\u0667", "LTR-\uff17", "LTR-x"):
        with pytest.raises(NotFoundError, match="is not a letter id"):
            parse_letter_ref(text)
