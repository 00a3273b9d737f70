# sfcas: content-addressed storage for VM images.
# `make demo` runs it; `make test` tests it. Both install what they need.

.DEFAULT_GOAL := help
SHELL := /bin/bash

GO      ?= go
ROOT    ?= $(CURDIR)/var
LISTEN  ?= 127.0.0.1:13000
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILT   ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.built=$(BUILT)
DEBS    := fuse3 qemu-utils rsync fio prometheus

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

.PHONY: build
build: ## build ./bin/sfcas
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sfcas ./cmd/sfcas

.PHONY: deps
deps: ## install the Debian packages tests and demo use (fuse3, qemu-utils, rsync, fio)
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(GO) mod download

.PHONY: test
test: deps lint ## lint, then run every test with the race detector
	SF_REQUIRE_FUSE=1 $(GO) test -race -count=1 -timeout 14m ./...

.PHONY: lint
lint: ## vet, gofmt, staticcheck and the import-direction check
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) test -count=1 -run TestImportDirections ./cmd/sfcas

MOUNT   ?= /sf
STAGING ?= /sf-staging

.PHONY: demo
demo: deps build ## start sfcas on ./var with /sf and /sf-staging, publish a generated image, show it
	@mkdir -p $(ROOT)
	@if [ -f $(ROOT)/sfcas.pid ] && kill -0 $$(cat $(ROOT)/sfcas.pid) 2>/dev/null; then \
		echo "sfcas already running (pid $$(cat $(ROOT)/sfcas.pid))"; \
	else \
		mounts="--mount= --staging="; \
		if [ "$$(id -u)" = 0 ] && [ -c /dev/fuse ]; then mkdir -p $(MOUNT) $(STAGING); mounts="--mount $(MOUNT) --staging $(STAGING)"; \
		else echo "not root or no /dev/fuse: running without the mounts"; fi; \
		nohup ./bin/sfcas --root $(ROOT) serve --listen $(LISTEN) --min-free 0 --log-format json $$mounts \
			>$(ROOT)/sfcas.log 2>&1 & echo $$! >$(ROOT)/sfcas.pid; \
	fi
	@for i in $$(seq 50); do curl -fsS http://$(LISTEN)/readyz >/dev/null 2>&1 && break; sleep 0.2; done
	@curl -fsS http://$(LISTEN)/readyz >/dev/null || { tail -5 $(ROOT)/sfcas.log; exit 1; }
	@qemu-img create -q -f qcow2 $(ROOT)/demo.qcow2 1G && qemu-io -c 'write -P 0x5f 0 4M' $(ROOT)/demo.qcow2 >/dev/null
	SFCAS_URL=http://$(LISTEN) ./bin/sfcas --root $(ROOT) publish $(ROOT)/demo.qcow2 --label system/demo
	SFCAS_URL=http://$(LISTEN) ./bin/sfcas --root $(ROOT) label show system/demo
	@if mountpoint -q $(MOUNT); then \
		echo; echo "+ ls -l $(MOUNT)/system"; ls -l $(MOUNT)/system; \
		echo "+ qemu-img info $(MOUNT)/system/demo"; qemu-img info $(MOUNT)/system/demo | head -3; fi
	@echo
	@echo "sfcas is running (pid $$(cat $(ROOT)/sfcas.pid), log $(ROOT)/sfcas.log). Try:"
	@echo "  export SFCAS_URL=http://$(LISTEN) SFCAS_ROOT=$(ROOT)"
	@echo "  ./bin/sfcas label history system/demo"
	@if mountpoint -q $(STAGING); then echo "  cp some.qcow2 $(STAGING)/system/my-image && ls -l $(MOUNT)/system"; fi
	@echo "Stop it (and unmount) with: make stop"

PREFIX  ?= /usr/local
DESTDIR ?=

.PHONY: install
install: build ## install the binary, systemd unit, default config, completions and docs
	install -D -m 0755 bin/sfcas $(DESTDIR)$(PREFIX)/bin/sfcas
	install -D -m 0644 packaging/sfcas.service $(DESTDIR)/etc/systemd/system/sfcas.service
	@if [ -e $(DESTDIR)/etc/sfcas/sfcas.toml ]; then echo "keeping existing /etc/sfcas/sfcas.toml"; \
	else install -D -m 0644 packaging/sfcas.toml $(DESTDIR)/etc/sfcas/sfcas.toml; fi
	install -D -m 0644 packaging/completion/sfcas.bash $(DESTDIR)/usr/share/bash-completion/completions/sfcas
	install -D -m 0644 packaging/completion/sfcas.zsh $(DESTDIR)/usr/share/zsh/vendor-completions/_sfcas
	install -D -m 0644 docs/operations.md $(DESTDIR)/usr/share/doc/sfcas/operations.md
	@echo "installed; now: systemctl daemon-reload && systemctl enable --now sfcas"

.PHONY: stop
stop: ## stop the daemon make demo started (it unmounts its mounts)
	@if [ -f $(ROOT)/sfcas.pid ]; then pid=$$(cat $(ROOT)/sfcas.pid); kill $$pid 2>/dev/null || true; \
		for i in $$(seq 100); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; rm -f $(ROOT)/sfcas.pid; fi

.PHONY: bench
bench: deps build ## run the benchmarks in bench/ and print one table
	$(GO) run ./bench -root $(CURDIR)/bench/out

.PHONY: fuzz
FUZZTIME ?= 60s
fuzz: ## run every fuzz target for FUZZTIME each (default a minute); make test runs their seed corpora
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

.PHONY: clean
clean: stop ## remove build output and the demo store
	rm -rf bin var bench/out
