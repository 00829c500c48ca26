"""One small export per preset, in the shape that tool writes, with its aging worked by hand.

Every fixture is aged as of 2026-11-30 by due date (default buckets). Days past due, worked out
once here (D - due date, whole calendar days):

- due 2026-12-xx or later: days <= 0 -> current
- due 2026-11-19 / 11-20 / 11-25 / 11-16: 11 / 10 / 5 / 14 days -> 1-30
- due 2026-10-01: 30 (rest of Oct) + 30 (Nov) = 60 -> 31-60
- due 2026-10-05: 26 + 30 = 56 -> 31-60;  due 2026-10-10: 21 + 30 = 51 -> 31-60
- due 2026-10-15: 16 + 30 = 46 -> 31-60
- due 2026-09-14: 16 + 31 + 30 = 77 -> 61-90;  due 2026-09-15: 15 + 31 + 30 = 76 -> 61-90
- due 2026-09-16: 14 + 31 + 30 = 75 -> 61-90;  due 2026-09-25: 5 + 31 + 30 = 66 -> 61-90
- due 2026-09-30: 0 + 31 + 30 = 61 -> 61-90
- due 2026-08-01: 30 + 30 + 31 + 30 = 121 -> 91+;  due 2026-08-19: 12 + 91 = 103 -> 91+
- due 2026-07-31: 0 + 31 + 30 + 31 + 30 = 122 -> 91+;  due 2026-06-30: 153 -> 91+

``expected`` maps customer name -> the non-zero buckets and the total of its aging row.
``status_line`` / ``status`` / ``issue`` name a row and its status and issue-date text, for the
bad-input tests (unknown status, ambiguous or impossible date); ``issue_header`` is the header
of the issue-date column (renamed for the missing-column test).
"""

from __future__ import annotations

from typing import Any

STRIPE = (
    "id,Number,Customer,Customer Name,Customer Email,Date (UTC),Due Date (UTC),Currency,Total,"
    "Amount Due,Amount Paid,Amount Remaining,Status,Description\n"
    # open, partly paid: 1,200.00 - 500.00 = 700.00, due 10-01 -> 60 days -> 31-60
    "in_1A,ACME-0001,cus_A,Acme Ltd,ap@acme.example,2026-09-01 10:23,2026-10-01 10:23,usd,"
    '"1,200.00","1,200.00",500.00,700.00,open,Design work\n'
    # paid in full -> nothing open
    "in_1B,ACME-0002,cus_A,Acme Ltd,ap@acme.example,2026-10-15 08:00,2026-11-14 08:00,usd,"
    "300.00,300.00,300.00,0.00,paid,Hosting\n"
    # uncollectible: the 450.00 remaining is written off -> nothing open
    'in_1C,BETA-0001,cus_B,"Beta, Inc.",,2026-07-01 12:00,2026-07-31 12:00,usd,450.00,450.00,'
    "0.00,450.00,uncollectible,Old project\n"
    # open, due 12-20 -> current 80.00
    'in_1D,BETA-0002,cus_B,"Beta, Inc.",,2026-11-20 09:00,2026-12-20 09:00,usd,80.00,80.00,'
    "0.00,80.00,open,Support\n"
    # draft: not a receivable
    "in_1E,ACME-0003,cus_A,Acme Ltd,,2026-11-25 09:00,,usd,99.00,99.00,0.00,99.00,draft,Draft\n"
    # void: ignored
    'in_1F,BETA-0003,cus_B,"Beta, Inc.",,2026-08-01 09:00,2026-08-31 09:00,usd,60.00,60.00,'
    "0.00,60.00,void,Mistake\n"
)

XERO_HEADER = (
    "ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,"
    "POCity,PORegion,POPostalCode,POCountry,SAAddressLine1,SAAddressLine2,SAAddressLine3,"
    "SAAddressLine4,SACity,SARegion,SAPostalCode,SACountry,InvoiceNumber,Reference,InvoiceDate,"
    "DueDate,PlannedDate,Total,TaxTotal,InvoiceAmountPaid,InvoiceAmountDue,InventoryItemCode,"
    "Description,Quantity,UnitAmount,Discount,LineAmount,AccountCode,TaxType,TaxAmount,"
    "TrackingName1,TrackingOption1,TrackingName2,TrackingOption2,Currency,Type,Sent,Status\n"
)


def _xero(
    contact: str,
    number: str,
    issued: str,
    due: str,
    total: str,
    paid: str,
    owed: str,
    item: str,
    amount: str,
    status: str = "Awaiting Payment",
) -> str:
    return (
        f'{contact},ap@example.co.uk,"1 High Street",,,,"London",,"EC1A 1AA",GB,,,,,,,,,'
        f"{number},PO-{number[-2:]},{issued},{due},,{total},0.00,{paid},{owed},,"
        f'"{item}",1,{amount},,{amount},200,No VAT,0.00,,,,,GBP,Sales invoice,Sent,{status}\n'
    )


XERO = XERO_HEADER + (
    # two lines of one invoice (the export repeats the invoice on each line): 1,200.00 total,
    # 200.00 paid, 1,000.00 due on 15/09 -> 76 days -> 61-90
    _xero(
        "Acme Ltd",
        "INV-0001",
        "01/09/2026",
        "15/09/2026",
        "1200.00",
        "200.00",
        "1000.00",
        "Design, phase 1",
        "700.00",
    )
    + _xero(
        "Acme Ltd",
        "INV-0001",
        "01/09/2026",
        "15/09/2026",
        "1200.00",
        "200.00",
        "1000.00",
        "Design, phase 2",
        "500.00",
    )
    # paid
    + _xero(
        "Acme Ltd",
        "INV-0002",
        "10/10/2026",
        "20/11/2026",
        "240.00",
        "240.00",
        "0.00",
        "Hosting",
        "240.00",
    ).replace("Sent,Awaiting Payment", "Sent,Paid")
    # awaiting payment, due 15/12 -> current 360.00
    + _xero(
        "Brown & Co",
        "INV-0003",
        "05/11/2026",
        "15/12/2026",
        "360.00",
        "0.00",
        "360.00",
        "Consulting",
        "360.00",
    )
    # voided: ignored
    + _xero(
        "Brown & Co",
        "INV-0004",
        "01/06/2026",
        "01/07/2026",
        "50.00",
        "0.00",
        "50.00",
        "Mistake",
        "50.00",
    ).replace("Awaiting Payment", "Voided")
    # draft and awaiting approval: not receivables; deleted: ignored
    + _xero(
        "Acme Ltd",
        "INV-0005",
        "25/11/2026",
        "25/12/2026",
        "100.00",
        "0.00",
        "100.00",
        "Draft",
        "100.00",
    ).replace("Awaiting Payment", "Draft")
    + _xero(
        "Acme Ltd",
        "INV-0007",
        "26/11/2026",
        "26/12/2026",
        "70.00",
        "0.00",
        "70.00",
        "Approval",
        "70.00",
    ).replace("Awaiting Payment", "Awaiting Approval")
    + _xero(
        "Brown & Co",
        "INV-0006",
        "02/06/2026",
        "02/07/2026",
        "20.00",
        "0.00",
        "20.00",
        "Gone",
        "20.00",
    ).replace("Awaiting Payment", "Deleted")
)

XERO_AGED = (
    "Aged Receivables Detail\n"
    "Demo Company (UK)\n"
    "As at 30 November 2026\n"
    "\n"
    "Invoice Date,Invoice Number,Contact,Due Date,Total,Paid,Credited,Due\n"
    "Acme Ltd,,,,,,,\n"
    # 1,200.00 less 200.00 paid and 100.00 credited = 900.00, due 15 Oct -> 46 days -> 31-60
    '15 Sep 2026,INV-0101,Acme Ltd,15 Oct 2026,"1,200.00",200.00,100.00,900.00\n'
    # nothing paid, due 20 Dec -> current 300.00
    "20 Nov 2026,INV-0107,Acme Ltd,20 Dec 2026,300.00,0.00,0.00,300.00\n"
    'Total Acme Ltd,,,,"1,500.00",200.00,100.00,"1,200.00"\n'
    "Brown & Co,,,,,,,\n"
    # due 31 Jul -> 122 days -> 91+ 75.50
    "1 Jul 2026,INV-0090,Brown & Co,31 Jul 2026,75.50,0.00,0.00,75.50\n"
    "Total Brown & Co,,,,75.50,0.00,0.00,75.50\n"
    'Total,,,,"1,575.50",200.00,100.00,"1,275.50"\n'
)

FRESHBOOKS = (
    "Client Name,Invoice #,Date Issued,Due Date,Invoice Status,Date Paid,Currency,"
    "Invoice Total,Paid,Outstanding\n"
    # partial: $1,000.00 - $400.00 paid on 10/15 = 600.00, due 10/01 -> 60 days -> 31-60
    'Acme Ltd,0000021,09/01/2026,10/01/2026,partial,10/15/2026,USD,"$1,000.00",$400.00,'
    "$600.00\n"
    # paid on 11/01
    "Acme Ltd,0000022,10/05/2026,11/04/2026,paid,11/01/2026,USD,$250.00,$250.00,$0.00\n"
    # sent, due 12/10 -> current 420.00
    "Brown & Co,0000023,11/10/2026,12/10/2026,sent,,USD,$420.00,$0.00,$420.00\n"
    # draft: not a receivable
    "Brown & Co,0000024,11/20/2026,12/20/2026,draft,,USD,$80.00,$0.00,$80.00\n"
    # overdue, due 08/01 -> 121 days -> 91+ 95.00
    "Brown & Co,0000019,07/15/2026,08/01/2026,overdue,,USD,$95.00,$0.00,$95.00\n"
    # deleted: ignored
    "Brown & Co,0000018,07/01/2026,07/31/2026,deleted,,USD,$15.00,$0.00,$15.00\n"
)

WAVE = (
    "Invoice Number,Customer Name,Customer Email,Invoice Date,Due Date,Status,Currency,Total,"
    "Amount Paid,Amount Due\n"
    # partial: 800.00 - 300.00 = 500.00, due 09-14 -> 77 days -> 61-90
    "1001,Acme Ltd,ap@acme.example,2026-08-15,2026-09-14,PARTIAL,USD,800.00,300.00,500.00\n"
    "1002,Acme Ltd,ap@acme.example,2026-10-01,2026-10-31,PAID,USD,150.00,150.00,0.00\n"
    # overdue, due 11-25 -> 5 days -> 1-30 90.00
    "1003,Brown & Co,,2026-11-01,2026-11-25,OVERDUE,USD,90.00,0.00,90.00\n"
    "1004,Brown & Co,,2026-11-28,2026-12-28,DRAFT,USD,40.00,0.00,40.00\n"
    # sent, due 12-15 -> current 200.00
    "1005,Brown & Co,,2026-11-15,2026-12-15,SENT,USD,200.00,0.00,200.00\n"
)

INVOICE_NINJA = (
    "Amount,Balance,Client,Date,Discount,Due Date,Number,Paid to Date,PO Number,Status,Currency\n"
    # partial: 250.00 - 100.00 = 150.00, due 09-25 -> 66 days -> 61-90
    "250.00,150.00,Acme Ltd,2026-09-10,0,2026-09-25,INV-0007,100.00,,Partial,EUR\n"
    "400.00,0.00,Acme Ltd,2026-10-01,0,2026-10-15,INV-0008,400.00,PO-1,Paid,EUR\n"
    # sent, due 11-19 -> 11 days -> 1-30 120.00
    "120.00,120.00,Brown & Co,2026-11-05,0,2026-11-19,INV-0009,0.00,,Sent,EUR\n"
    "75.00,75.00,Brown & Co,2026-11-28,0,,INV-0010,0.00,,Draft,EUR\n"
    # cancelled and reversed: void
    "60.00,0.00,Brown & Co,2026-08-01,0,2026-08-15,INV-0006,0.00,,Cancelled,EUR\n"
    "30.00,0.00,Brown & Co,2026-07-01,0,2026-07-15,INV-0005,30.00,,Reversed,EUR\n"
)

ZOHO = (
    "Invoice Date,Invoice ID,Invoice Number,Invoice Status,Customer ID,Customer Name,Due Date,"
    "Currency Code,Total,Balance,Last Payment Date\n"
    # partially paid: 15000.00 - 9000.00 = 6000.00 paid on 10-05; 9000.00 due 09-16 -> 75 days
    # -> 61-90
    "2026-09-01,460000000012001,INV-000012,Partially Paid,460000000001,Acme Ltd,2026-09-16,"
    "INR,15000.00,9000.00,2026-10-05\n"
    "2026-10-01,460000000012002,INV-000013,Paid,460000000001,Acme Ltd,2026-10-16,INR,5000.00,"
    "0.00,2026-10-10\n"
    # overdue, due 11-16 -> 14 days -> 1-30 2500.00
    "2026-11-01,460000000012003,INV-000014,Overdue,460000000002,Brown & Co,2026-11-16,INR,"
    "2500.00,2500.00,\n"
    "2026-11-20,460000000012004,INV-000015,Draft,460000000002,Brown & Co,2026-12-05,INR,"
    "1000.00,1000.00,\n"
    "2026-08-01,460000000012005,INV-000010,Void,460000000002,Brown & Co,2026-08-16,INR,700.00,"
    "0.00,\n"
)

QBO = (
    "Craig's Design and Landscaping Services\n"
    "Invoice List\n"
    "All Dates\n"
    "\n"
    "Date,Num,Customer,Memo/Description,Due Date,Amount,Open Balance,Status\n"
    # partially paid: 1,150.00 - 500.00 = 650.00 open, due 10/05 -> 56 days -> 31-60
    '09/05/2026,1037,Acme Ltd,Design,10/05/2026,"1,150.00",650.00,Partially paid\n'
    "10/02/2026,1038,Acme Ltd,,11/01/2026,200.00,0.00,Paid\n"
    # open, due 12/03 -> current 2,000.00
    '11/03/2026,1039,Brown & Co,,12/03/2026,"2,000.00","2,000.00",Open\n'
    # overdue, due 08/19 -> 103 days -> 91+ 300.00
    "07/20/2026,1030,Brown & Co,,08/19/2026,300.00,300.00,Overdue\n"
    # voided: QuickBooks zeroes it
    "08/01/2026,1031,Brown & Co,,08/31/2026,0.00,0.00,Voided\n"
    'TOTAL,,,,,"3,650.00","2,950.00",\n'
)

QBD = (
    "Rock Castle Construction\n"
    "Open Invoices\n"
    "As of November 30, 2026\n"
    "Type,Date,Num,P. O. #,Name,Terms,Due Date,Aging,Amount,Open Balance\n"
    "Acme Ltd:Kitchen,,,,,,,,,\n"
    # 4,250.00 with 1,250.00 open, due 10/10 -> 51 days -> 31-60
    'Invoice,09/10/2026,1085,,Acme Ltd:Kitchen,Net 30,10/10/2026,51,"4,250.00","1,250.00"\n'
    # due 12/12 -> current 800.00
    "Invoice,11/12/2026,1090,,Acme Ltd:Kitchen,Net 30,12/12/2026,,800.00,800.00\n"
    'Total Acme Ltd:Kitchen,,,,,,,,"5,050.00","2,050.00"\n'
    "Brown & Co,,,,,,,,,\n"
    # due 06/30 -> 153 days -> 91+ 125.00
    "Invoice,06/15/2026,1070,,Brown & Co,Net 15,06/30/2026,153,125.00,125.00\n"
    "Total Brown & Co,,,,,,,,125.00,125.00\n"
    'TOTAL,,,,,,,,"5,175.00","2,175.00"\n'
)

# A German spreadsheet saved by Excel as "CSV (Trennzeichen-getrennt)": Windows-1252, ';',
# decimal comma, euro signs, day-first dates (configured: see SPREADSHEET_CONFIG).
SPREADSHEET_EU = (
    "Rechnungsnummer;Kunde;Rechnungsdatum;Fällig;Betrag;Bezahlt;Status\n"
    # partial: 1.234,56 - 234,56 = 1.000,00, due 01.10. -> 60 days -> 31-60
    '2026-001;Müller GmbH;01.09.2026;01.10.2026;"1.234,56 €";"234,56 €";partial\n'
    "2026-002;Müller GmbH;15.10.2026;14.11.2026;500,00 €;500,00 €;paid\n"
    # open, due 20.12. -> current 99,90
    "2026-003;Café Zürich;20.11.2026;20.12.2026;€ 99,90;0;open\n"
    # written off: the 300,00 is a write-off -> nothing open
    "2026-004;Café Zürich;01.06.2026;01.07.2026;300,00 €;0;written off\n"
    "2026-005;Café Zürich;28.11.2026;;50,00 €;;draft\n"
    "2026-006;Café Zürich;01.05.2026;31.05.2026;10,00 €;;cancelled\n"
)
SPREADSHEET_CONFIG = (
    'encoding = "windows-1252"\ndecimal_separator = ","\nthousands_separator = "."\n'
    "strip_currency = true\n"
)

PRESETS: dict[str, dict[str, Any]] = {
    "stripe": {
        "file": "invoices.csv",
        "text": STRIPE,
        "expected": {
            "Acme Ltd": {"31-60": "700.00", "total": "700.00"},
            "Beta, Inc.": {"current": "80.00", "total": "80.00"},
        },
        "issue_header": "Date (UTC)",
        "status_line": 2,
        "status": "open",
        "issue": "2026-09-01 10:23",
        "dates_ordered": False,
        "approximate": True,
    },
    "xero-invoices": {
        "file": "Sales Invoices.csv",
        "text": XERO,
        "expected": {
            "Acme Ltd": {"61-90": "1000.00", "total": "1000.00"},
            "Brown & Co": {"current": "360.00", "total": "360.00"},
        },
        "issue_header": "InvoiceDate",
        "status_line": 5,
        "status": "Awaiting Payment",
        "issue": "05/11/2026",
        "dates_ordered": True,
        "approximate": True,
    },
    "xero-aged-receivables": {
        "file": "Aged_Receivables_Detail.csv",
        "text": XERO_AGED,
        "expected": {
            "Acme Ltd": {"current": "300.00", "31-60": "900.00", "total": "1200.00"},
            "Brown & Co": {"91+": "75.50", "total": "75.50"},
        },
        "issue_header": "Invoice Date",
        "status_line": None,  # the report has no status column: every row is open
        "status": None,
        "date_line": 7,
        "issue": "15 Sep 2026",
        "dates_ordered": True,
        "approximate": True,
    },
    "freshbooks": {
        "file": "invoices.csv",
        "text": FRESHBOOKS,
        "expected": {
            "Acme Ltd": {"31-60": "600.00", "total": "600.00"},
            "Brown & Co": {"current": "420.00", "91+": "95.00", "total": "515.00"},
        },
        "issue_header": "Date Issued",
        "status_line": 4,
        "status": "sent",
        "issue": "11/10/2026",
        "dates_ordered": True,
        "approximate": False,  # Date Paid dates every payment
    },
    "wave": {
        "file": "invoices.csv",
        "text": WAVE,
        "expected": {
            "Acme Ltd": {"61-90": "500.00", "total": "500.00"},
            "Brown & Co": {"current": "200.00", "1-30": "90.00", "total": "290.00"},
        },
        "issue_header": "Invoice Date",
        "status_line": 4,
        "status": "OVERDUE",
        "issue": "2026-11-01",
        "dates_ordered": False,
        "approximate": True,
    },
    "invoice-ninja": {
        "file": "invoices.csv",
        "text": INVOICE_NINJA,
        "expected": {
            "Acme Ltd": {"61-90": "150.00", "total": "150.00"},
            "Brown & Co": {"1-30": "120.00", "total": "120.00"},
        },
        "issue_header": "Date",
        "status_line": 4,
        "status": "Sent",
        "issue": "2026-11-05",
        "dates_ordered": False,
        "approximate": True,
    },
    "zoho-invoice": {
        "file": "Invoice.csv",
        "text": ZOHO,
        "expected": {
            "Acme Ltd": {"61-90": "9000.00", "total": "9000.00"},
            "Brown & Co": {"1-30": "2500.00", "total": "2500.00"},
        },
        "issue_header": "Invoice Date",
        "status_line": 4,
        "status": "Overdue",
        "issue": "2026-11-01",
        "dates_ordered": False,
        "approximate": False,  # Last Payment Date
    },
    "quickbooks-online": {
        "file": "Invoice List.csv",
        "text": QBO,
        "expected": {
            "Acme Ltd": {"31-60": "650.00", "total": "650.00"},
            "Brown & Co": {"current": "2000.00", "91+": "300.00", "total": "2300.00"},
        },
        "issue_header": "Date",
        "status_line": 8,
        "status": "Open",
        "issue": "11/03/2026",
        "dates_ordered": True,
        "approximate": True,
    },
    "quickbooks-desktop": {
        "file": "Open Invoices.csv",
        "text": QBD,
        "expected": {
            "Acme Ltd:Kitchen": {"current": "800.00", "31-60": "1250.00", "total": "2050.00"},
            "Brown & Co": {"91+": "125.00", "total": "125.00"},
        },
        "issue_header": "Date",
        "status_line": None,  # an Open Invoices report has no status column
        "status": None,
        "date_line": 6,
        "issue": "09/10/2026",
        "dates_ordered": True,
        "approximate": True,
    },
    "spreadsheet": {
        "file": "Rechnungen.csv",
        "text": SPREADSHEET_EU,
        "encoding": "cp1252",
        "config": SPREADSHEET_CONFIG,
        "currency": "EUR",
        "expected": {
            "Café Zürich": {"current": "99.90", "total": "99.90"},
            "Müller GmbH": {"31-60": "1000.00", "total": "1000.00"},
        },
        "issue_header": "Rechnungsdatum",
        "status_line": 4,
        "status": "open",
        "issue": "20.11.2026",
        "dates_ordered": True,  # 20.11.2026: dotted dates are day-first everywhere
        "approximate": True,
    },
}
