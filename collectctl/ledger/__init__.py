"""The SQLite ledger: collectctl's copy of the books plus what only collectctl knows.

``connection`` opens it (WAL, migrations with a backup first, the write lock); ``schema`` holds the
versioned migrations; ``books`` reads customers, invoices and allocations; ``staging`` and
``apply`` turn a source's records into one sync transaction; ``aging`` aggregates balances.
Nothing here knows click.
"""
