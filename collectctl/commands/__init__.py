"""One module per command group. Commands are thin: parse options, call the ledger and the
domain, hand a :class:`~collectctl.output.Report` to :func:`~collectctl.commands.options.emit`."""
