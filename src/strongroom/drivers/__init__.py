"""Infrastructure behind interfaces: compute (sandbox), network (+firewall), volume, guest.

Each family has `base.py` (the interface), `fake.py`, and real backends. Backend selection
happens only in `registry.py`. Imports `contracts`, `config`, `domain` only.
"""
