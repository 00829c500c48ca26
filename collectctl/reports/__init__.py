"""Assembly: ledger rows and domain rules combined into report documents."""
