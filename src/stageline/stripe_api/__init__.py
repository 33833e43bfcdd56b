"""The Stripe adapter: the official SDK behind a small gateway (``client``), and the one
field mapping (``mapping``). Import from the submodules; this package imports nothing heavy."""
