# q20: `make demo` (set-up + main job on the embedded default) and `make test` (set-up + tests).
PY      := .venv/bin/python
STAMP   := .venv/.q20-installed
OUT     := out
DEMO    := $(OUT)/demo

.PHONY: .venv test test-all demo bench clean

.venv: $(STAMP)

$(STAMP): requirements.txt
	test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -r requirements.txt
	# the real referee; its own dependency list pulls ~1.5 GB we do not need
	.venv/bin/pip install -q --no-deps kaggle-environments==1.14.17
	touch $@

test: .venv
	$(PY) -m pytest -q -m "not slow" tests

test-all: .venv
	$(PY) -m pytest -q tests

# The main job on the embedded default: a table, its tree, and the expected-turns report.
demo: .venv
	$(PY) scripts/make_table.py --synthetic 2000 400 --noise 0.05 --seed 0 --out $(DEMO)/table
	$(PY) scripts/fit_tree.py --table $(DEMO)/table --out $(DEMO)/tree.npz
	$(PY) scripts/analyze.py --tree $(DEMO)/tree.npz --table $(DEMO)/table --flip-noise 0.05 --baselines --plot $(DEMO)

bench: .venv
	$(PY) bench/run.py

clean:
	rm -rf $(OUT) .pytest_cache
