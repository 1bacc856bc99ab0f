# `make test` and `make demo` work on a fresh machine with only Python 3.11:
# each creates .venv when missing and installs the project into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_RUN := runs/demo

.PHONY: install test demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# pytest-xdist workers, each given whole files (or folders: tests/conftest.py) so that
# module fixtures and shared caches (the distributed runs, exports) are made once
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

demo: $(STAMP)
	$(BIN)/ganzoo train dcgan-digits --epochs 25 --run-dir $(DEMO_RUN) --overwrite
	$(BIN)/ganzoo sample $(DEMO_RUN) --num 64 --out $(DEMO_RUN)/grid.png
	$(BIN)/ganzoo-export $(DEMO_RUN) --formats onnx,tflite --quantize none,float16,int8 \
		--out $(DEMO_RUN)/export --overwrite --bench --runs 50

bench: $(STAMP)
	$(BIN)/python benchmarks/train_throughput.py

clean:
	rm -rf $(VENV) runs build *.egg-info
