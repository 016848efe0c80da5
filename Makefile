# Two commands: `make run` (set up, generate, load, dbt build, docs) and `make test` (set up, run every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= saas
DATA ?=
# The warehouse: one of the targets in settings/targets.py. Passed on as DBT_TARGET, the one name dbt's profile, the
# dashboard and the report read (an exported DBT_TARGET, or the deprecated DASHBOARD_WAREHOUSE, is the default here).
TARGET ?= $(or $(DBT_TARGET),$(DASHBOARD_WAREHOUSE),duckdb)
SEED ?= 42
USERS ?= 10000
DAYS ?= 365
HORIZON ?=
REFRESH_DAYS ?= 1
PYTEST_ARGS ?=
QUIET ?=
RUN_FLAGS := $(if $(strip $(QUIET)),--quiet,)

export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DUCKDB_PATH ?= $(CURDIR)/data/warehouse.duckdb

.PHONY: help setup spark-setup spark-server run refresh test docs dashboard report bench lint clean

help:
	@echo "make run        set up, generate SCENARIO (saas), load DuckDB, dbt build, dbt docs"
	@echo "                (make run SCENARIO=ecommerce | DATA=examples/heymax/mapping.yml | TARGET=postgres | QUIET=1)"
	@echo "                (TARGET=spark: Apache Spark in-process; installs requirements-spark.txt)"
	@echo "make refresh    one daily cycle on that warehouse: next day (or DATA= new files), append, incremental"
	@echo "                dbt build, docs (make run HORIZON=400 first, so the simulated business can go on)"
	@echo "make test       set up and run the whole test suite (DuckDB, PostgreSQL and Spark)"
	@echo "make spark-server  serve the Spark warehouse over Thrift/JDBC on 127.0.0.1:10000 (BI tools, dbt thrift)"
	@echo "make docs       rebuild the static dbt docs site (data/docs/index.html)"
	@echo "make dashboard  open the Streamlit dashboard on the marts (TARGET=postgres to read PostgreSQL)"
	@echo "                (this machine only; DASHBOARD_ADDRESS=0.0.0.0 opens it to the network: no login!)"
	@echo "make report     write the weekly growth report (reports/weekly_growth.html; TARGET=postgres too)"
	@echo "make bench      run the benchmarks (large scale; minutes)"
	@echo "TARGET=         one of: $$(cd $(CURDIR) && $(PYTHON) -c 'from settings.targets import TARGET_NAMES; print(" ".join(TARGET_NAMES))') (default duckdb, or \$$DBT_TARGET)"

# The virtual environment, rebuilt when requirements.txt changes. uv installs the pinned set fast; pip is the fallback.
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	@$(PY) -m pip install -q --disable-pip-version-check uv \
		&& $(VENV)/bin/uv pip install -q --python $(PY) -r requirements.txt \
		|| $(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

# The Spark extras (dbt-spark, pyspark: a few hundred MB), only for TARGET=spark and the test suite.
$(VENV)/.spark-installed: requirements-spark.txt $(VENV)/.installed
	@$(VENV)/bin/uv pip install -q --python $(PY) -r requirements-spark.txt \
		|| $(PY) -m pip install -q --disable-pip-version-check -r requirements-spark.txt
	@touch $@

setup: $(VENV)/.installed $(if $(filter spark,$(TARGET)),$(VENV)/.spark-installed)

spark-setup: $(VENV)/.spark-installed

run: setup
ifeq ($(strip $(DATA)),)
	$(PY) -m pipeline run --scenario $(SCENARIO) --target $(TARGET) --seed $(SEED) --users $(USERS) --days $(DAYS) \
		$(if $(strip $(HORIZON)),--horizon $(HORIZON),) $(RUN_FLAGS)
else
	$(PY) -m pipeline run --data $(DATA) --target $(TARGET) $(RUN_FLAGS)
endif

refresh: setup
ifeq ($(strip $(DATA)),)
	$(PY) -m pipeline refresh --scenario $(SCENARIO) --target $(TARGET) --days $(REFRESH_DAYS) $(RUN_FLAGS)
else
	$(PY) -m pipeline refresh --data $(DATA) --target $(TARGET) $(RUN_FLAGS)
endif

test: setup spark-setup
	bash scripts/test.sh $(PYTEST_ARGS)

docs: setup
	$(PY) -m pipeline docs --target $(TARGET) --vars-file $(if $(DATA),$(DATA),data/generated/$(basename $(notdir $(SCENARIO)))/dbt_vars.yml)

dashboard: setup
	DBT_TARGET=$(TARGET) $(PY) -m dashboard.serve

report: setup
	DBT_TARGET=$(TARGET) $(PY) -m report --output reports/weekly_growth.html

spark-server: spark-setup
	$(PY) -m warehouse spark-server

bench: setup
	$(PY) benchmarks/run_all.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf data artifacts reports dbt_project/target dbt_project/logs
