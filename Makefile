# The wearable pump monitor. `make demo` shows it working; `make test` checks everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: all venv test lint typecheck pytest demo bench bench-sets mpy romfs deploy clean

all: test

$(STAMP): pyproject.toml requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt -e .
	@touch $@

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	cd firmware && ../$(BIN)/pyright -p pyrightconfig.json
	$(BIN)/pyright -p pyproject.toml

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python -m pumpmon.demo

bench: $(STAMP)
	$(BIN)/python -m bench

# every scenario set, issue 12's lines set by set (4-10 min; not part of `make bench`)
bench-sets: $(STAMP)
	$(BIN)/python -m bench.sets

mpy: $(STAMP)
	$(BIN)/python -m pumpmon.build mpy

# The firmware as one ROMFS image (build/firmware.romfs), for a board whose MicroPython has a
# romfs partition: `make deploy ROMFS=1` writes it there (docs/hardware.md, "Deploying").
romfs: $(STAMP)
	$(BIN)/python -m pumpmon.build romfs

BOARD ?= devkitc_hx711
PORT ?= auto
ROMFS ?=
WITH_ROMFS := $(filter 1 yes,$(ROMFS))
deploy: $(if $(WITH_ROMFS),romfs,mpy)
	$(BIN)/python -m pumpmon.build deploy --board $(BOARD) --port $(PORT)$(if $(WITH_ROMFS), --romfs)

clean:
	rm -rf build demo_out .pytest_cache
