# The two commands of the README. Everything else is a detail of these.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test check bootstrap bootstrap-test bench

bootstrap:
	@scripts/bootstrap

bootstrap-test:
	@scripts/bootstrap --test

run: bootstrap
	$(VENV)/strongroom up

check: bootstrap
	scripts/check

test: bootstrap-test
	scripts/check
	$(VENV)/pytest -p no:cacheprovider tests

bench: bootstrap
	$(VENV)/python -m bench.api_list
