# The two commands of the README. Everything else is a detail of these.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test check bootstrap bench

bootstrap:
	@scripts/bootstrap

run: bootstrap
	$(VENV)/strongroom up

check: bootstrap
	scripts/check

test: bootstrap
	scripts/check
	$(VENV)/pytest -p no:cacheprovider tests

bench: bootstrap
	$(VENV)/python -m bench.api_list
