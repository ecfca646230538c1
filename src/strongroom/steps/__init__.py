"""Small idempotent units of work, each with an undo, grouped by what they touch.

Imports `drivers`, `store`, `domain`, `datastores`, `contracts`, `config`.
"""
