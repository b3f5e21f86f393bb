# mmvmt developer entry points. `make demo` and `make test` install first.
VENV    ?= .venv
PY      := $(VENV)/bin/python
DEMO    ?= data/demo
WORKDIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: install demo demo-data test clean-demo

install:
	bash tools/install/install.sh

demo-data: install
	$(PY) tools/misc/generate_demo_data.py $(DEMO) --dataset both --convert

demo: demo-data
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/train.py configs/vmt/swin-t_pascal_demo.py --work-dir $(WORKDIR)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/test.py configs/vmt/swin-t_pascal_demo.py $(WORKDIR)/iter_$$($(PY) -c "from mmengine.config import Config; print(Config.fromfile('configs/vmt/swin-t_pascal_demo.py').train_cfg.max_iters)").pth --work-dir $(WORKDIR) --out $(WORKDIR)/predictions
	@echo "demo predictions and metrics.json are in $(WORKDIR)/predictions"

test: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) -m pytest tests -q $(PYTEST_ARGS)

clean-demo:
	rm -rf $(DEMO) $(WORKDIR)
