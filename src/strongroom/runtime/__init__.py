"""Process plumbing: preparing the state dir and control DB, serving, the all-in-one `up`.

Imports everything it assembles; nothing imports it but `cli`.
"""
