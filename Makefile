# mmvmt developer entry points. `make demo`, `make test` and `make lint`
# install first.
VENV    ?= .venv
PY      := $(VENV)/bin/python
DEMO    ?= data/demo
WORKDIR ?= work_dirs/demo
PYTEST_ARGS ?=
# pytest-xdist worker processes (the suite is CPU-bound; 0 runs in-process).
TEST_WORKERS ?= 2
LINT_PATHS ?= mmvmt tools tests configs demo setup.py

.PHONY: install demo demo-data pretrain-demo demo-benchmark test lint clean-demo

install:
	bash tools/install/install.sh

demo-data: install
	$(PY) tools/misc/generate_demo_data.py $(DEMO) --dataset both --convert

# Trains VMT on the PASCAL demo set (frozen demo Swin), evaluates it on the
# val set, draws every 5th val image (image, ground truth above prediction)
# and prints the metrics beside the trivial baselines of the same data.
# One torch thread (DEMO_THREADS): on 2 cores a second thread, spinning while
# it waits, made an iteration 1.3x faster on an idle machine and 20-30x
# slower as soon as another process ran (measured: 0.27 s one thread; 0.2 s
# and 6-9 s two threads).
DEMO_CONFIG ?= configs/vmt/swin-t_pascal_demo.py
DEMO_THREADS ?= 1
DEMO_RUN = PATH=$(CURDIR)/$(VENV)/bin:$$PATH OMP_NUM_THREADS=$(DEMO_THREADS) $(PY)
demo: install
	$(PY) tools/misc/generate_demo_data.py $(DEMO) --dataset pascal --convert
	$(DEMO_RUN) tools/train.py $(DEMO_CONFIG) --work-dir $(WORKDIR)
	$(DEMO_RUN) tools/test.py $(DEMO_CONFIG) $(WORKDIR)/iter_$$($(PY) -c "from mmengine.config import Config; print(Config.fromfile('$(DEMO_CONFIG)').train_cfg.max_iters)").pth --work-dir $(WORKDIR) --out $(WORKDIR)/predictions --show-dir $(WORKDIR)/vis --show-interval 5
	$(DEMO_RUN) demo/demo_summary.py $(DEMO_CONFIG) $(WORKDIR)/predictions/metrics.json --drawings $(WORKDIR)/vis

# Rebuilds the shipped demo backbone (demo/weights/swin-demo_source-seg.pth
# and .json): writes the synthetic source set, pretrains, exports.
pretrain-demo: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/misc/pretrain_demo_backbone.py --data-root $(DEMO)/SOURCE

# The paper's table at CPU scale on the demo target (every method, same
# demo backbone, data, heads and schedule; BENCH_ARGS e.g. "--quick").
BENCH_ARGS ?= --max-iters 250 --seeds 0 1
demo-benchmark: demo-data
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/analysis_tools/demo_benchmark.py --work-dir work_dirs/demo_benchmark --json work_dirs/demo_benchmark/results.json $(BENCH_ARGS)

test: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) -m pytest tests -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# flake8, isort and yapf with the settings in setup.cfg (as pre-commit runs
# them); fails on any finding or any change isort/yapf would make.
lint: install
	$(VENV)/bin/flake8 $(LINT_PATHS)
	$(VENV)/bin/isort --check-only --diff $(LINT_PATHS)
	$(VENV)/bin/yapf --diff --recursive $(LINT_PATHS)

clean-demo:
	rm -rf $(DEMO) $(WORKDIR)
