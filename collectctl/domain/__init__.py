"""Pure domain functions over plain values: aging, metrics, plans, interest, dunning, ...

Nothing in this package touches click, SQL, files or the network, and nothing reads the clock:
"today" is always a parameter. Money is integer minor units (see :mod:`collectctl.money`).
"""
