"""``python -m collectctl``: the same as the ``collectctl`` console script."""

from collectctl.entry import main

main()
