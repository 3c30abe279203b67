# df11 — see README.md. Every target installs what it needs first (`deps`).
SWIFT    ?= swift
DF11     := .build/release/df11
DEMO_IN  := Fixtures/tiny-llama
DEMO_OUT := demo-out
DEB_PACKAGES := libzstd-dev libxxhash-dev pkg-config zstd

.PHONY: all deps build test demo bench fixtures clean man install uninstall fuzz fuzz-smoke fuzz-seeds faults sanitize slurm-demo

all: build

## deps: install the Debian packages df11 builds against, if any is missing
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "df11 needs a Swift 6 toolchain on PATH (swift.org/install)"; exit 2; }

## build: the optimised df11 binary at .build/release/df11 (Swift runtime linked in: starts in ~4 ms, not ~7)
build: deps
	$(SWIFT) build -c release --product df11 --static-swift-stdlib

## test: every unit and integration test (no network needed)
test: deps
	$(SWIFT) build --product df11
	$(SWIFT) test --disable-swift-testing

## demo: convert the bundled tiny Llama checkpoint, verify it, restore it and compare byte for byte
demo: build
	@rm -rf $(DEMO_OUT) && mkdir -p $(DEMO_OUT)
	$(DF11) inspect $(DEMO_IN)
	$(DF11) compress $(DEMO_IN) -o $(DEMO_OUT)/tiny-llama.df11
	$(DF11) verify $(DEMO_OUT)/tiny-llama.df11
	$(DF11) decompress $(DEMO_OUT)/tiny-llama.df11 -o $(DEMO_OUT)/restored
	diff -r $(DEMO_IN) $(DEMO_OUT)/restored && echo "demo: restored checkpoint is byte-identical to $(DEMO_IN)"

## man: regenerate docs/df11.1 from the argument parser's own help (committed; `make install` installs it)
man:
	$(SWIFT) build --product df11
	.build/debug/df11 --experimental-dump-help | python3 tools/gen_manpage.py > docs/df11.1

## install: the binary, the man page and bash/zsh/fish completions under PREFIX (default /usr/local);
## DF11_BIN=path installs an already built binary instead of building the release one
PREFIX  ?= /usr/local
DESTDIR ?=
DF11_BIN ?= $(DF11)
install: $(if $(filter $(DF11),$(DF11_BIN)),build)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(DF11_BIN) $(DESTDIR)$(PREFIX)/bin/df11
	install -m 644 docs/df11.1 $(DESTDIR)$(PREFIX)/share/man/man1/df11.1
	$(DF11_BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/df11
	$(DF11_BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_df11
	$(DF11_BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/df11.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/df11 $(DESTDIR)$(PREFIX)/share/man/man1/df11.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/df11 $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_df11 \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/df11.fish
## fuzz: build the libFuzzer targets (tools/fuzz) and run each for FUZZ_SECONDS (default 60; FUZZ_RUNS=N stops at N executions) on its corpus in
## .build-fuzz/corpus; prints executions, exec/s, corpus, coverage; fails on any crash (input in .build-fuzz/crashes)
FUZZ_SECONDS ?= 60
fuzz: deps
	python3 tools/fuzz/run.py --seconds $(FUZZ_SECONDS) --runs $(or $(FUZZ_RUNS),0)

## fuzz-smoke: a few seconds of each target from the seeds only (CI); skipped, visibly, without libFuzzer
fuzz-smoke: deps
	python3 tools/fuzz/run.py --seconds $(or $(FUZZ_SMOKE_SECONDS),5) --smoke || { s=$$?; [ $$s -eq 3 ] || exit $$s; }

## fuzz-seeds: regenerate the seed corpora Fixtures/fuzz/ from the other fixtures
fuzz-seeds: deps
	python3 tools/fuzz/make-seeds.py

## faults: fault injection against the release binary (kills, races, inputs changed mid-run, full disk, symbolic
## links); prints a table of counts, fails on any violation. Not part of `make test` (minutes; mounts a tmpfs as root)
faults: build
	python3 tools/faults/faults.py --df11 $(DF11)

## sanitize: the test suite under ThreadSanitizer, then AddressSanitizer (scratch paths .build-tsan, .build-asan)
sanitize: deps
	tools/sanitize.sh

## slurm-demo: df11 batch as a job array on a real one-node Slurm on this machine (installs slurm-wlm and munge
## from Debian, starts and stops its own daemons; root). Checks the merged shards against an unsharded run.
## Not part of `make test` (a minute or two)
slurm-demo: build
	tools/slurm/slurm-demo.sh

## fixtures: regenerate Fixtures/ (python3 with numpy)
fixtures:
	python3 Fixtures/generate.py

clean:
	rm -rf .build .build-fuzz .build-tsan .build-asan $(DEMO_OUT)

-include tools/bench/bench.mk
