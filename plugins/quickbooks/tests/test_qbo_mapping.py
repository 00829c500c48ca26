"""QBO JSON → records: every entity, credit memo application, refunds, voids, multicurrency."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from collectctl_quickbooks import mapping

from collectctl.records import Allocation

D = Decimal


def load(text: str) -> dict:
    """Parse like the client does (numbers as Decimal, never float)."""
    return json.loads(text, parse_float=Decimal)


def by_key(allocs: list[Allocation]) -> dict[tuple, Allocation]:
    return {(a.invoice_id, a.kind, a.date): a for a in allocs}


def test_customer_maps_display_name_contacts_and_currency():
    obj = load(
        '{"Id": "24", "SyncToken": "3", "DisplayName": "Harbor Tools Ltd", '
        '"PrimaryEmailAddr": {"Address": "ap@harbor.example"}, '
        '"PrimaryPhone": {"FreeFormNumber": "+44 20 7946 0000"}, '
        '"BillAddr": {"Line1": "1 Quay St", "City": "Bristol", "PostalCode": "BS1 4DJ", '
        '"Country": "UK"}, "CurrencyRef": {"value": "GBP"}, "Balance": 112.07, "Active": true}'
    )
    c = mapping.customer(obj, "USD")
    assert c.id == "24"
    assert c.name == "Harbor Tools Ltd"
    assert c.email == "ap@harbor.example"
    assert c.phone == "+44 20 7946 0000"
    assert c.address == "1 Quay St\nBristol BS1 4DJ\nUK"
    assert c.currency == "GBP"
    assert c.active is True
    assert c.origin == "Customer 24"


def test_inactive_customer_keeps_its_name_without_deleted_suffix_and_home_currency():
    c = mapping.customer({"Id": "7", "DisplayName": "Old Co (deleted)", "Active": False}, "CAD")
    assert c.active is False
    assert c.name == "Old Co"
    assert c.currency == "CAD"


def test_invoice_maps_number_amount_due_date_and_source_balance():
    obj = load(
        '{"Id": "130", "SyncToken": "2", "DocNumber": "1037", "TxnDate": "2026-01-15", '
        '"DueDate": "2026-02-14", "CustomerRef": {"value": "24"}, "CurrencyRef": {"value": "GBP"}, '
        '"TotalAmt": 362.07, "Balance": 162.07}'
    )
    inv = mapping.invoice(obj, "USD")
    assert inv.id == "130"
    assert inv.number == "1037"
    assert inv.customer_id == "24"
    assert inv.issue_date == date(2026, 1, 15)
    assert inv.due_date == date(2026, 2, 14)
    assert inv.amount == D("362.07")
    assert isinstance(inv.amount, Decimal)
    assert inv.source_balance == D("162.07")
    assert inv.currency == "GBP"
    assert inv.void is False


def test_integer_amounts_become_decimals_and_missing_fields_default():
    inv = mapping.invoice(
        {"Id": "5", "TxnDate": "2026-03-01", "CustomerRef": {"value": "1"}, "TotalAmt": 100},
        "USD",
    )
    assert inv.amount == D(100)
    assert isinstance(inv.amount, Decimal)
    assert inv.number is None
    assert inv.due_date is None
    assert inv.source_balance == D(100)
    assert inv.currency == "USD"


def test_voided_invoice_is_void_with_zero_amounts():
    obj = {
        "Id": "131",
        "DocNumber": "1038",
        "TxnDate": "2026-01-20",
        "CustomerRef": {"value": "24"},
        "TotalAmt": 0,
        "Balance": 0,
        "PrivateNote": "Voided",
    }
    inv = mapping.invoice(obj, "USD")
    assert inv.void is True
    assert inv.amount == 0


def test_bad_invoice_raises_mapping_error_naming_the_field():
    with pytest.raises(mapping.MappingError) as err:
        mapping.invoice(
            {"Id": "9", "TxnDate": "2026-13-01", "CustomerRef": {"value": "1"}, "TotalAmt": 5},
            "USD",
        )
    assert err.value.column == "TxnDate"
    with pytest.raises(mapping.MappingError) as err:
        mapping.invoice({"Id": "9", "TxnDate": "2026-01-01", "TotalAmt": 5}, "USD")
    assert err.value.column == "CustomerRef"


@pytest.mark.parametrize("total", [{}, {"TotalAmt": None}])
def test_a_transaction_without_its_total_is_a_mapping_error_not_a_void(total):
    # QuickBooks always sends TotalAmt (0 on a voided invoice): without it the answer is
    # damaged, and reading it as 0 would drop a receivable (or a payment's cash) silently.
    base = {"Id": "9", "TxnDate": "2026-01-01", "CustomerRef": {"value": "1"}, "Balance": 100}
    for build in (mapping.invoice, mapping.credit_memo_allocations, mapping.payment_allocations):
        with pytest.raises(mapping.MappingError) as err:
            build({**base, **total}, "USD")
        assert (err.value.column, str(err.value)) == ("TotalAmt", "TotalAmt is missing")


@pytest.mark.parametrize(
    "raw", ["20260115", "2026-W03-4", "2026-01-15junk", 20260115, "٢٠٢٦-01-15"]
)
def test_dates_are_strictly_yyyy_mm_dd(raw):
    obj = {"Id": "9", "TxnDate": raw, "CustomerRef": {"value": "1"}, "TotalAmt": 5}
    with pytest.raises(mapping.MappingError) as err:
        mapping.invoice(obj, "USD")
    assert err.value.column == "TxnDate"


def test_a_date_with_a_time_after_it_is_read():
    obj = {"Id": "9", "TxnDate": "2026-01-15T00:00:00-08:00", "CustomerRef": {"value": "1"},
           "TotalAmt": 5}  # fmt: skip
    assert mapping.invoice(obj, "USD").issue_date == date(2026, 1, 15)


def test_payment_split_into_invoice_allocation_and_unapplied_cash():
    obj = load(
        '{"Id": "171", "TxnDate": "2026-02-20", "CustomerRef": {"value": "24"}, '
        '"CurrencyRef": {"value": "GBP"}, "TotalAmt": 250.00, "UnappliedAmt": 50.00, '
        '"PaymentRefNum": "BACS-9", '
        '"Line": [{"Amount": 200.00, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]}'
    )
    allocs = mapping.payment_allocations(obj, "USD")
    assert {a.payment_id for a in allocs} == {"171"}
    got = by_key(allocs)
    day = date(2026, 2, 20)
    assert got[("130", "payment", day)].amount == D("200.00")
    assert got[(None, "payment", day)].amount == D("50.00")
    assert all(a.currency == "GBP" and a.customer_id == "24" for a in allocs)
    assert got[("130", "payment", day)].reference == "BACS-9"
    assert sum(a.amount for a in allocs) == D("250.00")


def test_credit_memo_applied_through_zero_payment_is_a_credit_allocation():
    memo = load(
        '{"Id": "188", "DocNumber": "CM-7", "TxnDate": "2026-02-25", "CustomerRef": '
        '{"value": "24"}, "TotalAmt": 40.00, "RemainingCredit": 0, "Balance": 0}'
    )
    pay = load(
        '{"Id": "189", "TxnDate": "2026-02-25", "CustomerRef": {"value": "24"}, "TotalAmt": 0, '
        '"UnappliedAmt": 0, "Line": [{"Amount": 40.00, "LinkedTxn": [{"TxnId": "130", '
        '"TxnType": "Invoice"}]}, {"Amount": 40.00, "LinkedTxn": [{"TxnId": "188", '
        '"TxnType": "CreditMemo"}]}]}'
    )
    assert mapping.credit_memo_allocations(memo, "USD") == []
    allocs = mapping.payment_allocations(pay, "USD")
    assert len(allocs) == 1
    (a,) = allocs
    assert (a.payment_id, a.invoice_id, a.kind, a.amount) == ("189", "130", "credit", D("40.00"))
    assert a.date == date(2026, 2, 25)
    assert a.reference == "CreditMemo 188"


def test_unapplied_credit_memo_is_unapplied_credit_with_its_own_payment_id():
    memo = {
        "Id": "190",
        "DocNumber": "CM-8",
        "TxnDate": "2026-03-01",
        "CustomerRef": {"value": "24"},
        "CurrencyRef": {"value": "GBP"},
        "TotalAmt": D("60.00"),
        "RemainingCredit": D("25.00"),
        "Balance": D("25.00"),
    }
    (a,) = mapping.credit_memo_allocations(memo, "USD")
    assert a.payment_id == "CreditMemo-190"
    assert a.invoice_id is None
    assert a.kind == "credit"
    assert a.amount == D("25.00")
    assert a.date == date(2026, 3, 1)
    assert a.currency == "GBP"


def test_payment_mixing_cash_and_credit_memo():
    pay = {
        "Id": "200",
        "TxnDate": "2026-03-05",
        "CustomerRef": {"value": "24"},
        "TotalAmt": D("100"),
        "UnappliedAmt": D("0"),
        "Line": [
            {"Amount": D("140"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": D("40"), "LinkedTxn": [{"TxnId": "188", "TxnType": "CreditMemo"}]},
        ],
    }
    got = by_key(mapping.payment_allocations(pay, "USD"))
    day = date(2026, 3, 5)
    assert got[("130", "credit", day)].amount == D(40)
    assert got[("130", "payment", day)].amount == D(100)
    assert len(got) == 2


def test_refund_of_credit_via_check_is_dated_by_the_purchase():
    # A zero payment links the credit memo and the refund check (Purchase 300).
    pay = {
        "Id": "210",
        "TxnDate": "2026-03-10",
        "CustomerRef": {"value": "24"},
        "TotalAmt": D(0),
        "UnappliedAmt": D(0),
        "Line": [
            {"Amount": D("25"), "LinkedTxn": [{"TxnId": "190", "TxnType": "CreditMemo"}]},
            {"Amount": D("25"), "LinkedTxn": [{"TxnId": "300", "TxnType": "Check"}]},
        ],
    }
    assert mapping.refund_purchase_ids(pay) == {"300"}
    purchases = {
        "300": {
            "Id": "300",
            "PaymentType": "Check",
            "TxnDate": "2026-03-12",
            "TotalAmt": D("25"),
            "EntityRef": {"value": "24"},
        }
    }
    got = by_key(mapping.payment_allocations(pay, "USD", purchases))
    assert got[(None, "credit", date(2026, 3, 10))].amount == D(25)
    refund = got[(None, "refund", date(2026, 3, 12))]
    assert refund.amount == D(25)
    assert refund.payment_id == "210"
    assert refund.reference == "Check 300"
    # Unknown purchase: dated at the payment.
    got = by_key(mapping.payment_allocations(pay, "USD", {}))
    assert (None, "refund", date(2026, 3, 10)) in got


def test_overpayment_refunded_by_check_keeps_credit_until_the_refund():
    pay = {
        "Id": "220",
        "TxnDate": "2026-04-01",
        "CustomerRef": {"value": "24"},
        "TotalAmt": D(100),
        "UnappliedAmt": D(0),
        "Line": [
            {"Amount": D(80), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": D(20), "LinkedTxn": [{"TxnId": "301", "TxnType": "Expense"}]},
        ],
    }
    purchases = {"301": {"Id": "301", "TxnDate": "2026-04-20"}}
    got = by_key(mapping.payment_allocations(pay, "USD", purchases))
    assert got[("130", "payment", date(2026, 4, 1))].amount == D(80)
    assert got[(None, "payment", date(2026, 4, 1))].amount == D(20)
    assert got[(None, "refund", date(2026, 4, 20))].amount == D(20)


def test_payment_with_no_lines_is_all_unapplied():
    pay = {
        "Id": "230",
        "TxnDate": "2026-04-02",
        "CustomerRef": {"value": "5"},
        "TotalAmt": D("75.5"),
        "UnappliedAmt": D("75.5"),
    }
    (a,) = mapping.payment_allocations(pay, "EUR")
    assert (a.invoice_id, a.kind, a.amount, a.currency) == (None, "payment", D("75.5"), "EUR")


def test_zero_payment_yields_nothing():
    assert (
        mapping.payment_allocations(
            {"Id": "1", "TxnDate": "2026-01-01", "CustomerRef": {"value": "5"}, "TotalAmt": 0},
            "USD",
        )
        == []
    )


def test_home_currency_from_preferences():
    body = {
        "Preferences": {
            "CurrencyPrefs": {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "CAD"}}
        }
    }
    assert mapping.home_currency(body) == "CAD"
    assert mapping.home_currency({}) is None


def test_credit_applied_later_is_dated_at_the_credit_memo():
    pay = {
        "Id": "240",
        "TxnDate": "2026-03-20",
        "CustomerRef": {"value": "24"},
        "TotalAmt": D(0),
        "Line": [
            {"Amount": D(30), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": D(30), "LinkedTxn": [{"TxnId": "188", "TxnType": "CreditMemo"}]},
        ],
    }
    assert mapping.credit_memo_ids(pay) == {"188"}
    (a,) = mapping.payment_allocations(pay, "USD", {}, {"188": date(2026, 2, 12)})
    assert (a.invoice_id, a.kind, a.date, a.amount) == ("130", "credit", date(2026, 2, 12), D(30))
