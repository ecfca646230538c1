"""Leaf package: the error catalog and wire contracts; imports nothing of ours."""
