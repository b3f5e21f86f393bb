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

demo: demo-data
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/train.py configs/vmt/swin-t_pascal_demo.py --work-dir $(WORKDIR)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/test.py configs/vmt/swin-t_pascal_demo.py $(WORKDIR)/iter_$$($(PY) -c "from mmengine.config import Config; print(Config.fromfile('configs/vmt/swin-t_pascal_demo.py').train_cfg.max_iters)").pth --work-dir $(WORKDIR) --out $(WORKDIR)/predictions
	@echo "demo predictions and metrics.json are in $(WORKDIR)/predictions"

# Rebuilds the shipped demo backbone (demo/weights/swin-demo_source-seg.pth
# and .json): writes the synthetic source set, pretrains, exports.
pretrain-demo: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/misc/pretrain_demo_backbone.py --data-root $(DEMO)/SOURCE

# The paper's table at CPU scale on the demo target: every method, the
# from-scratch CNN reference and the trivial baselines, same demo backbone,
# data, heads and schedule, 3 seeds (tools/analysis_tools/paper_table.py,
# about 60 min on 2 cores). Resumable: run again to reuse finished runs.
# BENCH_ARGS e.g. "--quick" (smoke test) or "--max-iters 400".
BENCH_ARGS ?=
BENCH_DIR ?= work_dirs/demo_benchmark
demo-benchmark: demo-data
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/analysis_tools/paper_table.py --setting demo --work-dir $(BENCH_DIR) $(BENCH_ARGS)

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
