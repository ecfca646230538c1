"""Entry points, each a few lines: parse arguments, load settings, call one thing."""
