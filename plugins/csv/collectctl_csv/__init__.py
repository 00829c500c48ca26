"""collectctl-csv: read customers, invoices and payments from a directory of CSV files.

Installed, it adds ``collectctl sync csv [DIR]``. The format is described in README.md (and in
collectctl's docs/csv-format.md); :mod:`collectctl_csv.reader` streams the files into records.
"""

__version__ = "0.1.0"
