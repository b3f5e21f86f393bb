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

.PHONY: install demo demo-data demo-add-task pretrain-demo demo-benchmark test lint \
	clean-demo

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

# Adding a task to a trained model (README "Add a task"): train semseg +
# normals, add saliency with the two trained tasks frozen, export saliency as
# a task pack and compose it onto the first model; the old tasks' metrics and
# predictions must come out identical (compare_test_runs.py exits 1
# otherwise). ADD_TASK_ARGS go to both trainings (e.g. shorter runs:
# "train_cfg.max_iters=200"). One torch thread, as `make demo` (DEMO_THREADS).
ADD_TASK_DIR  ?= work_dirs/demo_add_task
ADD_TASK_ARGS ?=
ADD_TASK_BASE := configs/vmt/add_task/swin-t_pascal-semseg-normals_demo.py
ADD_TASK_NEW  := configs/vmt/add_task/swin-t_pascal-semseg-normals_add-sal_demo.py
RUN_PY        := $(DEMO_RUN)
BASE_DIR      := $(ADD_TASK_DIR)/semseg-normals
NEW_DIR       := $(ADD_TASK_DIR)/add-sal
demo-add-task: demo-data
	$(RUN_PY) tools/train.py $(ADD_TASK_BASE) --work-dir $(BASE_DIR) $(if $(ADD_TASK_ARGS),--cfg-options $(ADD_TASK_ARGS))
	$(RUN_PY) tools/test.py $(ADD_TASK_BASE) $$(cat $(BASE_DIR)/last_checkpoint) --work-dir $(BASE_DIR) --out $(BASE_DIR)/predictions
	$(RUN_PY) tools/train.py $(ADD_TASK_NEW) --work-dir $(NEW_DIR) --cfg-options load_from=$$(cat $(BASE_DIR)/last_checkpoint) $(ADD_TASK_ARGS)
	$(RUN_PY) tools/test.py $(ADD_TASK_NEW) $$(cat $(NEW_DIR)/last_checkpoint) --work-dir $(NEW_DIR) --out $(NEW_DIR)/predictions
	$(RUN_PY) tools/misc/task_pack.py export $(ADD_TASK_NEW) $$(cat $(NEW_DIR)/last_checkpoint) sal $(ADD_TASK_DIR)/sal_pack.pth
	$(RUN_PY) tools/misc/task_pack.py compose $(ADD_TASK_BASE) $$(cat $(BASE_DIR)/last_checkpoint) $(ADD_TASK_DIR)/sal_pack.pth --out $(ADD_TASK_DIR)/composed/composed.pth
	$(RUN_PY) tools/test.py $(ADD_TASK_DIR)/composed/composed.py $(ADD_TASK_DIR)/composed/composed.pth --work-dir $(ADD_TASK_DIR)/composed --out $(ADD_TASK_DIR)/composed/predictions
	@echo "== semseg + normals, before (step 1) and after adding sal (step 2):"
	$(RUN_PY) tools/analysis_tools/compare_test_runs.py $(BASE_DIR)/predictions $(NEW_DIR)/predictions --names before after
	@echo "== the step-2 model and step 1 + the sal task pack (every task):"
	$(RUN_PY) tools/analysis_tools/compare_test_runs.py $(NEW_DIR)/predictions $(ADD_TASK_DIR)/composed/predictions --names trained composed

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
