"""One module per operation: the list of steps and what failure means.

Imports `steps` (and through them drivers and store), `contracts`, `domain`.
"""
