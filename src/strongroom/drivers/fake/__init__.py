"""Fake drivers: no real resources, but real persistence, so crash tests can count leaks."""
