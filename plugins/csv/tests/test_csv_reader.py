"""The CSV reader on its own: records, start lines, and every row-level problem."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from csv_helpers import (
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    of_type,
    problems,
    read_all,
    write_books,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from collectctl.records import Allocation, Customer, Invoice, Problem


def _only_problem(records: list) -> Problem:
    found = problems(records)
    assert len(found) == 1, found
    return found[0]


# -- good books -----------------------------------------------------------------------------


def test_good_books_stream_customers_then_invoices_then_allocations(books):
    records = read_all(books())
    kinds = [type(r).__name__ for r in records]
    assert kinds == ["Customer"] * 2 + ["Invoice"] * 3 + ["Allocation"] * 3
    c1, c2 = of_type(records, Customer)
    assert c1 == Customer(
        id="C1",
        name="Acme Ltd",
        email="ap@acme.example",
        kind="business",
        currency="USD",
        origin="customers.csv:2",
    )
    assert (c2.kind, c2.terms_days, c2.origin) == ("consumer", 14, "customers.csv:3")


def test_blank_optional_values_are_none_for_the_core_to_default(books):
    records = read_all(books())
    i3 = of_type(records, Invoice)[2]
    assert i3 == Invoice(
        id="I3",
        customer_id="C2",
        issue_date=date(2026, 4, 1),
        amount=Decimal("80.00"),
        origin="invoices.csv:4",
    )
    assert (i3.number, i3.due_date, i3.currency, i3.description) == (None, None, None, None)
    c1 = of_type(records, Customer)[0]
    assert (c1.phone, c1.address, c1.timezone, c1.terms_days) == (None, None, None, None)


def test_customer_kind_defaults_to_business(books):
    d = books(customers=CUSTOMERS + "C1,Acme,,,,,,,\nC2,Jo,,,,,,,\n")
    assert [c.kind for c in of_type(read_all(d), Customer)] == ["business", "business"]


def test_split_payment_is_one_allocation_per_row_sharing_the_payment_id(books):
    allocations = of_type(read_all(books()), Allocation)
    split = [a for a in allocations if a.payment_id == "P1"]
    assert [(a.invoice_id, a.amount, a.origin) for a in split] == [
        ("I1", Decimal("60.00"), "payments.csv:2"),
        ("I2", Decimal("40.00"), "payments.csv:3"),
    ]
    assert all(a.kind == "payment" and a.method == "ach" for a in split)


def test_unapplied_credit_row_has_no_invoice_id(books):
    credit = of_type(read_all(books()), Allocation)[2]
    assert credit == Allocation(
        payment_id="P2",
        customer_id="C2",
        date=date(2026, 5, 1),
        amount=Decimal("10.00"),
        invoice_id=None,
        kind="credit",
        origin="payments.csv:4",
    )


@pytest.mark.parametrize(
    ("status", "void"),
    [("void", True), ("VOID", True), (" Void ", True), ("paid", False), ("", False)],
)
def test_status_void_in_any_case_voids_other_values_are_informational(books, status, void):
    d = books(invoices=INVOICES + f"I1,C1,,2026-01-10,,,100.00,{status},\n")
    (invoice,) = of_type(read_all(d), Invoice)
    assert invoice.void is void


def test_payment_kinds_are_passed_through(books):
    rows = (
        "A,C1,2026-02-01,5.00,I1,write_off,,,\n"
        "B,C1,2026-02-01,5.00,,refund,,,\n"
        "C,C1,2026-02-01,5.00,I1,credit,USD,,CN-7\n"
    )
    allocations = of_type(read_all(books(payments=PAYMENTS + rows)), Allocation)
    assert [(a.kind, a.invoice_id, a.currency, a.reference) for a in allocations] == [
        ("write_off", "I1", None, None),
        ("refund", None, None, None),
        ("credit", "I1", "USD", "CN-7"),
    ]


def test_utf8_bom_is_skipped(books):
    d = books(customers=b"\xef\xbb\xbf" + (CUSTOMERS + "C1,M\xfcller GmbH,,,,,,,\n").encode())
    (customer,) = of_type(read_all(d), Customer)
    assert (customer.id, customer.name) == ("C1", "Müller GmbH")
    assert problems(read_all(d)) == []


def test_unknown_columns_are_ignored_and_header_names_trimmed_any_order(books):
    header = " amount ,Notes,ID, customer_id,issue_date,Colour\n"
    d = books(invoices=header + "12.50,call first,I9,C1,2026-06-01,red\n")
    records = read_all(d)
    assert problems(records) == []
    (invoice,) = of_type(records, Invoice)
    assert (invoice.id, invoice.customer_id, invoice.amount) == ("I9", "C1", Decimal("12.50"))
    assert invoice.description is None


def test_values_are_trimmed(books):
    d = books(invoices=INVOICES + " I1 , C1 ,, 2026-01-10 ,,, 100.00 ,,\n")
    (invoice,) = of_type(read_all(d), Invoice)
    assert (invoice.id, invoice.customer_id, invoice.issue_date, invoice.amount) == (
        "I1",
        "C1",
        date(2026, 1, 10),
        Decimal("100.00"),
    )


def test_quoted_newlines_keep_the_line_where_each_record_starts(books):
    customers = (
        CUSTOMERS
        + 'C1,"Acme, Ltd",,,"1 Long Road\nSuite 5\nSpringfield",,,,\n'  # lines 2-4
        + 'C2,Jo,,,"Flat 2\n\nRiver St",,,,\n'  # lines 5-7 (an empty line inside quotes)
        + "C3,Kim,,,,,,,\n"  # line 8
        + "C4,,,,,,,,\n"  # line 9: bad
    )
    records = read_all(books(customers=customers))
    c1, c2, c3 = of_type(records, Customer)
    assert c1.name == "Acme, Ltd"
    assert c1.address == "1 Long Road\nSuite 5\nSpringfield"
    assert c2.address == "Flat 2\n\nRiver St"
    assert [c.origin for c in (c1, c2, c3)] == [
        "customers.csv:2",
        "customers.csv:5",
        "customers.csv:8",
    ]
    problem = _only_problem(records)
    assert (problem.origin, problem.column) == ("customers.csv:9", "name")


def test_crlf_files_and_crlf_inside_quotes(tmp_path):
    text = (
        CUSTOMERS.replace("\n", "\r\n") + 'C1,Acme,,,"Line 1\r\nLine 2",,,,\r\n' + "C2,,,,,,,,\r\n"
    )
    d = write_books(
        tmp_path / "b", {"customers.csv": text, "invoices.csv": INVOICES, "payments.csv": PAYMENTS}
    )
    records = read_all(d)
    (c1,) = of_type(records, Customer)
    assert c1.address == "Line 1\nLine 2"
    assert _only_problem(records).origin == "customers.csv:4"


def test_blank_lines_are_skipped_but_counted(books):
    invoices = (
        INVOICES + "\n" + "I1,C1,,2026-01-10,,,100.00,,\n" + ",,,,,,,,\n   \n" + "I2,C1,,x,,,1,,\n"
    )
    records = read_all(books(invoices=invoices))
    (invoice,) = of_type(records, Invoice)
    assert invoice.origin == "invoices.csv:3"
    assert _only_problem(records).origin == "invoices.csv:6"


def test_blank_lines_above_the_header_are_skipped_and_lines_still_count(books):
    invoices = "\n  \n,,,\n" + INVOICES + "I1,C1,,2026-01-10,,,100.00,,\nI2,C1,,x,,,1,,\n"
    records = read_all(books(invoices=invoices))
    (invoice,) = of_type(records, Invoice)
    assert invoice.origin == "invoices.csv:5"
    assert _only_problem(records).origin == "invoices.csv:6"


def test_bare_carriage_return_line_endings_are_named(books):
    records = read_all(books(payments=PAYMENTS.replace("\n", "\r") + "P1,C1,2026-01-01,1\r"))
    (problem,) = problems(records)
    assert problem.origin == "payments.csv:1"
    assert "bare carriage return" in problem.message
    assert "Windows (CRLF) or Unix (LF)" in problem.message


def test_short_rows_are_padded_with_blanks(books):
    d = books(invoices=INVOICES + "I1,C1,,2026-01-10,,,100.00\n")
    (invoice,) = of_type(read_all(d), Invoice)
    assert invoice.description is None
    assert invoice.amount == Decimal("100.00")


def test_trailing_empty_values_are_fine_but_extra_values_are_a_problem(books):
    d = books(
        customers=CUSTOMERS
        + "C1,Acme,,,,,,,,,\n"
        + "C2,Acme, Inc,a@b,,,,,,30\n"
        + "C3,Kim,,,,,,,\n"
    )
    records = read_all(d)
    assert [c.id for c in of_type(records, Customer)] == ["C1", "C3"]
    problem = _only_problem(records)
    assert problem.origin == "customers.csv:3"
    assert "10 values" in problem.message
    assert "9 columns" in problem.message
    assert "quote" in problem.message


def test_an_unclosed_quote_is_reported_where_its_record_starts(books):
    invoices = INVOICES + 'I1,C1,,2026-01-10,,,100.00,,"Design\n' + "I2,C1,,2026-01-11,,,5.00,,\n"
    records = read_all(books(invoices=invoices))
    assert of_type(records, Invoice) == []  # I2 was swallowed into I1's description
    problem = _only_problem(records)
    assert problem.origin == "invoices.csv:2"
    assert "never closed" in problem.message


def test_text_after_a_closing_quote_is_a_problem_and_reading_carries_on(books):
    customers = CUSTOMERS + 'C1,"Acme" Ltd,,,,,,,\n' + "C2,Jo,,,,,,,\n"
    records = read_all(books(customers=customers))
    assert [c.id for c in of_type(records, Customer)] == ["C2"]
    problem = _only_problem(records)
    assert problem.origin == "customers.csv:2"
    assert "not valid CSV" in problem.message


def test_a_stray_quote_inside_an_unquoted_value_is_kept(books):
    d = books(invoices=INVOICES + 'I1,C1,,2026-01-10,,,100.00,,27" monitor\n')
    (invoice,) = of_type(read_all(d), Invoice)
    assert invoice.description == '27" monitor'


# -- header problems -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "header", "missing"),
    [
        ("customers", "id,email\n", "name"),
        ("invoices", "id,customer_id,issue_date,total\n", "amount"),
        ("payments", "id,customer_id,amount,invoice_id\n", "date"),
    ],
)
def test_missing_required_column_is_one_problem_at_line_1(books, file, header, missing):
    records = read_all(books(**{file: header + "x,y,z,w\n" * 3}))
    problem = _only_problem(records)
    assert problem.origin == f"{file}.csv:1"
    assert problem.column == missing
    assert f"'{missing}'" in problem.message
    assert "add it" in problem.message


def test_missing_required_column_does_not_stop_the_other_files(books):
    records = read_all(books(invoices="id,customer_id,issue_date\nI1,C1,2026-01-01\n"))
    assert len(of_type(records, Customer)) == 2
    assert len(of_type(records, Allocation)) == 3
    assert [p.column for p in problems(records)] == ["amount"]


def test_every_missing_column_is_named(books):
    records = read_all(books(payments="id,invoice_id\n"))
    assert [(p.origin, p.column) for p in problems(records)] == [
        ("payments.csv:1", "customer_id"),
        ("payments.csv:1", "date"),
        ("payments.csv:1", "amount"),
    ]


def test_a_column_named_twice_is_a_problem(books):
    records = read_all(books(invoices="id,customer_id,issue_date,amount,Amount\n"))
    problem = _only_problem(records)
    assert (problem.origin, problem.column) == ("invoices.csv:1", "amount")
    assert "twice" in problem.message


def test_an_empty_file_has_no_header(books):
    problem = _only_problem(read_all(books(payments="")))
    assert problem.origin == "payments.csv:1"
    assert "header" in problem.message


def test_header_only_files_are_valid_and_empty(books):
    records = read_all(books(customers=CUSTOMERS, invoices=INVOICES, payments=PAYMENTS))
    assert records == []


# -- row problems ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "words"),
    [
        ("customers", ",Acme,,,,,,,", "id", "", "required"),
        ("customers", "C9,  ,,,,,,,", "name", "", "required"),
        ("customers", "C9,Acme,,,,individual,,,", "kind", "individual", "business or consumer"),
        ("customers", "C9,Acme,,,,Consumer,,,", "kind", "Consumer", "business or consumer"),
        ("customers", "C9,Acme,,,,,,,-5", "terms_days", "-5", "whole number"),
        ("customers", "C9,Acme,,,,,,,30.5", "terms_days", "30.5", "whole number"),
        ("customers", "C9,Acme,,,,,,,thirty", "terms_days", "thirty", "whole number"),
        ("customers", "C9,Acme,,,,,,Mars/Olympus,", "timezone", "Mars/Olympus", "IANA"),
        ("invoices", ",C1,,2026-01-10,,,100.00,,", "id", "", "required"),
        ("invoices", "I9,,,2026-01-10,,,100.00,,", "customer_id", "", "required"),
        ("invoices", "I9,C1,,,,,100.00,,", "issue_date", "", "required"),
        ("invoices", "I9,C1,,2026-02-30,,,100.00,,", "issue_date", "2026-02-30", "not a date"),
        ("invoices", "I9,C1,,10/01/2026,,,100.00,,", "issue_date", "10/01/2026", "YYYY-MM-DD"),
        ("invoices", "I9,C1,,2026-1-10,,,100.00,,", "issue_date", "2026-1-10", "YYYY-MM-DD"),
        ("invoices", "I9,C1,,20260110,,,100.00,,", "issue_date", "20260110", "YYYY-MM-DD"),
        ("invoices", "I9,C1,,2026-01-10,2026-13-01,,100.00,,", "due_date", "2026-13-01", "date"),
        ("invoices", "I9,C1,,2026-01-10,,,,,", "amount", "", "required"),
        ("invoices", 'I9,C1,,2026-01-10,,,"1,234.56",,', "amount", "1,234.56", "thousands"),
        ("invoices", "I9,C1,,2026-01-10,,,$100,,", "amount", "$100", "not an amount"),
        ("invoices", "I9,C1,,2026-01-10,,,100 USD,,", "amount", "100 USD", "not an amount"),
        ("invoices", "I9,C1,,2026-01-10,,,1e3,,", "amount", "1e3", "not an amount"),
        ("invoices", "I9,C1,,2026-01-10,,,NaN,,", "amount", "NaN", "not an amount"),
        (
            "invoices",
            "I9,C1,,2026-01-10,,,\u0661\u0660\u0660,,",
            "amount",
            "\u0661\u0660\u0660",
            "not an amount",
        ),
        ("payments", "P9,C1,2026-02-01,\uff15.00,I1,,,,", "amount", "\uff15.00", "not an amount"),
        ("invoices", "I9,C1,,2026-01-10,,,0.00,,", "amount", "0.00", "greater than 0"),
        ("invoices", "I9,C1,,2026-01-10,,,-5.00,,", "amount", "-5.00", "greater than 0"),
        ("payments", ",C1,2026-02-01,5.00,I1,,,,", "id", "", "required"),
        ("payments", "P9,,2026-02-01,5.00,I1,,,,", "customer_id", "", "required"),
        ("payments", "P9,C1,,5.00,I1,,,,", "date", "", "required"),
        ("payments", "P9,C1,2026-04-31,5.00,I1,,,,", "date", "2026-04-31", "not a date"),
        ("payments", "P9,C1,2026-02-01,-5.00,I1,,,,", "amount", "-5.00", "greater than 0"),
        ("payments", "P9,C1,2026-02-01,5.00,I1,Payment,,,", "kind", "Payment", "lower case"),
        ("payments", "P9,C1,2026-02-01,5.00,I1,writeoff,,,", "kind", "writeoff", "write_off"),
        ("payments", "P9,C1,2026-02-01,5.00,,write_off,,,", "invoice_id", "", "needs"),
        ("payments", "P9,C1,2026-02-01,5.00,I1,refund,,,", "invoice_id", "I1", "must not"),
    ],
)
def test_row_problem_names_origin_column_and_value(books, file, row, column, value, words):
    header = {"customers": CUSTOMERS, "invoices": INVOICES, "payments": PAYMENTS}[file]
    records = read_all(books(**{file: header + "\n" + row + "\n"}))
    problem = _only_problem(records)
    assert problem.origin == f"{file}.csv:3"  # header, blank line, then the row
    assert problem.column == column
    assert problem.value == value
    assert words in problem.message
    if value:
        assert repr(value) in problem.message  # the message shows the value too
    # the bad row yields no record of its own
    assert not [r for r in records if type(r) is not Problem and r.origin == problem.origin]


def test_each_bad_value_of_a_row_is_reported(books):
    records = read_all(books(invoices=INVOICES + "I9,,,2026-02-30,soon,,abc,,\n"))
    assert [(p.column, p.value) for p in problems(records)] == [
        ("customer_id", ""),
        ("issue_date", "2026-02-30"),
        ("due_date", "soon"),
        ("amount", "abc"),
    ]
    assert {p.origin for p in problems(records)} == {"invoices.csv:2"}


def test_every_bad_row_is_reported_and_reading_carries_on(books):
    good = "".join(f"I{n},C1,,2026-01-10,,,1.00,,\n" for n in range(50))
    bad = "".join(f"B{n},C1,,2026-01-{40 + n},,,1.00,,\n" for n in range(30))
    records = read_all(books(invoices=INVOICES + good + bad))
    found = problems(records)
    assert len(found) == 30
    assert [p.origin for p in found] == [f"invoices.csv:{52 + n}" for n in range(30)]
    assert len(of_type(records, Invoice)) == 50
    assert len(of_type(records, Allocation)) == 3  # payments.csv was still read


def test_bytes_that_are_not_utf8_name_the_line_and_column(books):
    customers = (CUSTOMERS + "C1,Acme,,,,,,,\n").encode() + b"C2,M\xfcller GmbH,,,,,,,\n"
    customers += b"C3,Kim,,,,,,,\n"
    records = read_all(books(customers=customers))
    assert [c.id for c in of_type(records, Customer)] == ["C1", "C3"]
    problem = _only_problem(records)
    assert (problem.origin, problem.column) == ("customers.csv:3", "name")
    assert problem.value == "M\\xfcller GmbH"
    assert "UTF-8" in problem.message


def test_a_utf16_file_is_reported_at_line_1(books):
    problem = _only_problem(read_all(books(payments=PAYMENTS.encode("utf-16"))))
    assert problem.origin == "payments.csv:1"
    assert "UTF-8" in problem.message


def test_a_nul_byte_is_a_problem_naming_line_and_column(books):
    """No value may hold a NUL byte (PostgreSQL cannot store one, and it is never meant): the
    record is reported and left out, the next one is read, and a NUL in a quoted value that
    spans two lines is reported at the line where its record starts."""
    customers = CUSTOMERS + 'C1,Acme,,,,,,,\nC2,Acme\x00 Inc,,,,,,,\nC3,"Kim\nSo\x00n",,,,,,,\n'
    customers += "C4,Lee,,,,,,,\n"
    records = read_all(books(customers=customers.encode()))
    assert [c.id for c in of_type(records, Customer)] == ["C1", "C4"]
    found = problems(records)
    assert [(p.origin, p.column) for p in found] == [
        ("customers.csv:3", "name"),
        ("customers.csv:4", "name"),
    ]
    assert found[0].value == "Acme\\x00 Inc"
    assert "NUL byte" in found[0].message


def test_utf16_without_a_byte_order_mark_is_reported_at_line_1(books):
    """UTF-16 saved without its byte order mark decodes as UTF-8 full of NUL bytes."""
    problem = _only_problem(read_all(books(payments=PAYMENTS.encode("utf-16-le"))))
    assert problem.origin == "payments.csv:1"
    assert "NUL bytes" in problem.message
    assert "UTF-16" in problem.message


# -- formats -------------------------------------------------------------------------------------


def test_profile_date_format_reads_other_dates(books):
    d = books(
        invoices=INVOICES + "I1,C1,,10/01/2026,09/02/2026,,100.00,,\nI2,C1,,2026-01-10,,,1,,\n",
        payments=PAYMENTS + "P1,C1,15/03/2026,60.00,I1,,,,\n",
    )
    records = read_all(d, config={"date_format": "%d/%m/%Y"})
    (i1,) = of_type(records, Invoice)
    assert (i1.issue_date, i1.due_date) == (date(2026, 1, 10), date(2026, 2, 9))
    assert of_type(records, Allocation)[0].date == date(2026, 3, 15)
    problem = _only_problem(records)
    assert (problem.origin, problem.value) == ("invoices.csv:3", "2026-01-10")
    assert "%d/%m/%Y" in problem.message


def test_sources_csv_date_format_wins_over_the_profiles(books):
    d = books(invoices=INVOICES + "I1,C1,,01/10/2026,,,100.00,,\n", payments=PAYMENTS)
    records = read_all(d, options={"date_format": "%m/%d/%Y"}, config={"date_format": "%d/%m/%Y"})
    assert of_type(records, Invoice)[0].issue_date == date(2026, 1, 10)


def test_iso_date_format_setting_is_strict_iso(books):
    d = books(invoices=INVOICES + "I1,C1,,2026-1-10,,,100.00,,\n")
    problem = _only_problem(read_all(d, config={"date_format": "%Y-%m-%d"}))
    assert problem.value == "2026-1-10"


def test_a_date_format_that_is_not_a_pattern_is_a_config_error(books):
    from collectctl.errors import ConfigError

    with pytest.raises(ConfigError, match="strftime"):
        read_all(books(), config={"date_format": "DD/MM/YYYY"})


def test_configured_separators_read_european_amounts(books):
    d = books(
        invoices=INVOICES + 'I1,C1,,2026-01-10,,,"1.234,56",,\nI2,C1,,2026-01-10,,,"12,5",,\n'
        'I3,C1,,2026-01-10,,,"1.23,4",,\nI4,C1,,2026-01-10,,,1234.56,,\n',
        payments=PAYMENTS,
    )
    records = read_all(d, options={"decimal_separator": ",", "thousands_separator": "."})
    assert [i.amount for i in of_type(records, Invoice)] == [Decimal("1234.56"), Decimal("12.5")]
    assert [(p.origin, p.value) for p in problems(records)] == [
        ("invoices.csv:4", "1.23,4"),
        ("invoices.csv:5", "1234.56"),
    ]
    assert "1.234,56" in problems(records)[0].message


def test_impossible_separators_are_a_config_error(books):
    from collectctl.errors import ConfigError

    with pytest.raises(ConfigError, match="thousands_separator"):
        read_all(books(), options={"decimal_separator": ",", "thousands_separator": ","})
    with pytest.raises(ConfigError, match="decimal_separator"):
        read_all(books(), options={"decimal_separator": ";"})


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(
        min_value=Decimal("0.001"),
        max_value=Decimal("99999999999.999"),
        allow_nan=False,
        allow_infinity=False,
        places=3,
    ),
    grouped=st.booleans(),
)
def test_amount_text_round_trips_to_the_same_decimal(tmp_path_factory, amount, grouped):
    text = f"{amount:f}"
    options = {}
    if grouped:  # the same amount written as 1.234.567,891
        whole, _, frac = text.partition(".")
        text = f"{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")
        options = {"decimal_separator": ",", "thousands_separator": "."}
    d = write_books(
        tmp_path_factory.mktemp("amounts"),
        {
            "customers.csv": CUSTOMERS,
            "invoices.csv": INVOICES + f'I1,C1,,2026-01-10,,,"{text}",,\n',
            "payments.csv": PAYMENTS + f'P1,C1,2026-01-10,"{text}",,,,,\n',
        },
    )
    records = read_all(d, options=options)
    (invoice,) = of_type(records, Invoice)
    (allocation,) = of_type(records, Allocation)
    assert type(invoice.amount) is Decimal
    assert invoice.amount == amount
    assert allocation.amount == amount
    assert str(invoice.amount) == f"{amount:f}"  # exact digits: never through float


# -- progress ----------------------------------------------------------------------------------


def test_progress_is_reported_every_10k_rows_and_after_each_file(books):
    rows = "".join(f"I{n},C1,,2026-01-10,,,1.00,,\n" for n in range(25_000))
    calls: list[int] = []
    records = read_all(books(invoices=INVOICES + rows), progress=calls.append)
    assert len(of_type(records, Invoice)) == 25_000
    assert calls[-1] == 2 + 25_000 + 3  # every row of the three files, at the end
    steps = [b - a for a, b in zip([0, *calls], calls, strict=False)]
    assert max(steps) <= 10_000  # never more than 10k rows between two calls
    assert steps.count(10_000) == 2  # and not much more often either
    assert min(steps) >= 0


# -- a record type's fast constructor builds what its own constructor builds --------------------


def test_fast_constructors_match_the_record_classes():
    from collectctl_csv import construct

    assert construct.invoice.__name__ == "invoice"  # the fast path is in use for these records
    args = ("I1", "C1", date(2026, 1, 1), Decimal("5.00"), "N1", None, "EUR", True, "d", "x:2")
    assert construct.invoice(*args) == construct._invoice_slow(*args)
    assert construct.invoice(*args) == Invoice(
        id="I1",
        customer_id="C1",
        issue_date=date(2026, 1, 1),
        amount=Decimal("5.00"),
        number="N1",
        currency="EUR",
        void=True,
        description="d",
        origin="x:2",
    )
    cargs = ("C1", "Acme", "e", "p", "a", "consumer", "USD", "UTC", 7, "x:3")
    assert construct.customer(*cargs) == construct._customer_slow(*cargs)
    aargs = ("P1", "C1", date(2026, 1, 2), Decimal("1"), None, "refund", None, "m", "r", "x:4")
    assert construct.allocation(*aargs) == construct._allocation_slow(*aargs)


def test_fast_constructors_are_refused_for_a_class_they_do_not_fit():
    from dataclasses import dataclass

    from collectctl_csv.construct import INVOICE_FIELDS, can_build_fast

    @dataclass(frozen=True, slots=True)
    class Other:
        id: str

    assert not can_build_fast(Other, INVOICE_FIELDS, {})
    assert can_build_fast(Invoice, INVOICE_FIELDS, {"source_balance": None})
    assert not can_build_fast(Invoice, INVOICE_FIELDS, {"source_balance": 0})
