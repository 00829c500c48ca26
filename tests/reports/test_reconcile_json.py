"""The reconcile document's findings written as JSON from minor units (FindingRows.json) are
byte for byte what json.dumps writes for the same findings as dicts of Decimals."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectctl.domain.reconcile import KINDS, Application, Finding
from collectctl.money import ISO_CODES, NOT_CURRENCIES
from collectctl.output import json_value, write_json
from collectctl.reports.reconcile import FindingRows, finding_dict

CURRENCIES = st.sampled_from(sorted(ISO_CODES - NOT_CURRENCIES))
UNITS = st.integers(min_value=-(10**15), max_value=10**15)
TEXT = st.text(max_size=12)  # quotes, backslashes, control characters, any code point


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    currency = draw(CURRENCIES)
    applications = draw(
        st.lists(
            st.builds(
                Application,
                payment_id=TEXT,
                from_invoice_id=st.none() | TEXT,
                invoice_id=TEXT,
                number=TEXT,
                amount=UNITS,
            ),
            max_size=4,
        )
    )
    return Finding(
        kind=draw(st.sampled_from(KINDS)),
        customer_key=draw(st.integers(min_value=1, max_value=3)),
        currency=currency,
        amount=draw(UNITS),
        amounts=draw(st.dictionaries(TEXT, UNITS, min_size=1, max_size=4)),
        suggestion=draw(TEXT),
        invoice_ids=draw(st.lists(TEXT, max_size=3)),
        payment_ids=draw(st.lists(TEXT, max_size=3)),
        applications=applications,
    )


WHO = {1: ("C1", 'Acme "Ltd" \\ Ünïcode →'), 2: ("C\n2", ""), 3: ("C3", "\x00\x1f\u2028")}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(findings(), max_size=4))
def test_findings_json_is_json_dumps_of_the_dicts(found):
    rows = FindingRows(found, WHO)
    dicts = [finding_dict(f, WHO[f.customer_key]) for f in found]
    assert rows.json() == json.dumps(dicts, default=json_value, ensure_ascii=False)
    assert list(rows) == dicts
    assert rows == dicts
    assert len(rows) == len(found)
    if found:
        assert rows[0] == dicts[0]
        assert rows[1:] == dicts[1:]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(findings(), max_size=3))
def test_the_document_writes_as_json_dumps(found):
    doc = {"as_of": date(2026, 10, 31), "findings": FindingRows(found, WHO), "counts": {"x": 1}}
    plain = {**doc, "findings": [finding_dict(f, WHO[f.customer_key]) for f in found]}

    class Out:
        text = ""

        def write(self, s: str) -> None:
            self.text += s

    fast, slow = Out(), Out()
    write_json(doc, fast)  # type: ignore[arg-type]
    write_json(plain, slow)  # type: ignore[arg-type]
    assert (
        fast.text == slow.text == json.dumps(plain, default=json_value, ensure_ascii=False) + "\n"
    )
    pretty = Out()
    write_json(doc, pretty, pretty=True)  # type: ignore[arg-type]
    assert json.loads(pretty.text) == json.loads(slow.text)
