"""Reports: load typed rows from the ledger, apply the domain rules, build documents.

One module per document: ``accounts`` (``account list`` / ``account show``), ``timeline`` (an
account's activity), ``forecast`` (the cash-in forecast; its back-test and renderings in
``forecast_backtest`` and ``forecast_render``). No click and no SQL here: commands call these,
the ledger feeds them.
"""
