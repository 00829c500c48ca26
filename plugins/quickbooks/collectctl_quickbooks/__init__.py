"""collectctl-quickbooks: a QuickBooks Online source for collectctl.

Modules: :mod:`.settings` (environment and config), :mod:`.auth` (OAuth, token file, lock),
:mod:`.client` (HTTP, retries, rate limit, faults), :mod:`.mapping` (QBO JSON → records),
:mod:`.sync` (full and CDC batches), :mod:`.plugin` (hooks and commands).
"""

__version__ = "0.1.0"
