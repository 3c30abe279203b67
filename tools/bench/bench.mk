# Benchmark targets for df11. Included from the top-level Makefile:  include tools/bench/bench.mk
#   make bench        peers + data + bounds / zstd -3,-19 / ZipNN / df11 per level on 5 data sets -> tables, bench-data/results.json
#   make bench-data   MiniLM F32 + bf16, its F16 / FP8 casts, ~1 GB generated Llama-shaped checkpoint in bench-data/
#   make bench-peers  .venv-bench with zipnn + numpy, GNU time, zstd
# Variables: BENCH_ARGS (passed to run_bench.py, e.g. --repeat 5 --only zstd,df11 --datasets minilm-bf16 --levels max),
#            BENCH_BUILD=1 (swift build -c release first), BENCH_CKPT_GB (default 1).
BENCH_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
BENCH_ARGS ?=

.PHONY: bench bench-data bench-peers
bench:
	bash $(BENCH_DIR)run_bench.sh $(BENCH_ARGS)

bench-data:
	bash $(BENCH_DIR)run_bench.sh --data-only

bench-peers:
	bash $(BENCH_DIR)run_bench.sh --peers-only

# make bench-batch: df11 batch scaling (0.25-4 GB), batch vs compress one by one, 50 small checkpoints; writes
# Benchmarks/batch-results.json and Benchmarks/batch-scaling.png (matplotlib). BENCH_BATCH_ARGS e.g. --sizes 0.25,1
BENCH_BATCH_ARGS ?=
.PHONY: bench-batch
bench-batch: build
	python3 $(BENCH_DIR)batch_bench.py $(BENCH_BATCH_ARGS)
