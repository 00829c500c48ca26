"""Reports: load typed rows from the ledger, apply the domain rules, build documents.

One module per document: ``accounts`` (``account list`` / ``account show``), ``timeline`` (an
account's activity). No click and no SQL here: commands call these, the ledger feeds them.
"""
