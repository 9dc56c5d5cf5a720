# phoneauth — build, run and test.
#
#   make          build build/phoneauth
#   make check    unit tests against that build (no packages installed, no
#                 daemons started)
#   make run      install missing Debian packages, build, start the whole stack
#                 under ./var on http://127.0.0.1:8080/api/ (the sign-in page
#                 on http://127.0.0.1:8080/)
#   make stop     stop exactly what `make run` started (found by pid files, and
#                 by command line when var/ was removed under a running stack)
#   make status   one line per component of the `make run` stack
#   make logs     follow the stack's logs (LOGS_N lines of each first, 20;
#                 FOLLOW=0 only prints them)
#   make test     unit tests, the fuzz targets' seeds and crashers, and
#                 end-to-end tests through lighttpd, Redis and PostgreSQL, with
#                 ASan+UBSan builds; ends with "N passed, N failed"
#   make deb      the Debian package, built by dpkg-buildpackage from a clean
#                 copy of the tree, in build/deb/, checked by lintian
#   make test-deb that package installed in a clean Debian 12 root (made once
#                 with debootstrap under var/deb/), `phoneauth check` run there
#   make clean    build/, and the PostgreSQL clusters the stacks made outside var/
#                 under /var/tmp (their stacks stopped first)
#   make test-cluster  two hosts over Redis Sentinel and a PostgreSQL primary
#                 with a synchronous standby, each machine a network namespace
#                 (as root); failovers measured; ends with "N passed, N failed"
#   make fuzz     every fuzz target under libFuzzer (clang) for FUZZ_S seconds
#                 each (60); FUZZ_TARGETS="body token" runs only those
#   make bench    throughput and latency through lighttpd, one table and a
#                 chart in build/bench/; BENCH_USERS=1000000 BENCH_SESSIONS=100000
#                 measures again with that many accounts and sessions loaded
#   make soak     SOAK_S seconds (1800) of the real flow while Redis, PostgreSQL
#                 and single workers are killed and restarted; a report, and a
#                 non-zero exit on an unexplained 5xx or a lost account or login
#
# Packagers: CC, CFLAGS, CPPFLAGS and LDFLAGS are honoured (e.g. those of
# dpkg-buildflags); WERROR=1 turns warnings into errors (CI does); V=1 shows
# the commands.

PKGS      := fcgi libpq hiredis json-c libjwt libcrypto libssl uuid libcbor libqrencode libcurl
# The version: the top entry of debian/changelog is the one source of truth,
# for the package and for `phoneauth --version` alike.
VERSION   := $(shell head -n 1 debian/changelog 2>/dev/null | cut -d'(' -f2 | cut -d')' -f1)
VERSION   := $(or $(VERSION),unknown)
PREFIX    ?= /usr/local
DESTDIR   ?=
SYSCONFDIR ?= /etc
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

# make predefines CC as "cc": only a CC from the command line or the
# environment replaces gcc.
ifeq ($(origin CC),default)
CC        := gcc
endif
PKG_CONFIG ?= pkg-config
CFLAGS    ?= -O2 -g
CPPFLAGS  ?=
LDFLAGS   ?=

# The libraries, through pkg-config. A module it cannot find is named when
# something is to be compiled (see the `pkgs` target), not hidden until a
# header is missing; `make clean`, `make deps` and the like still work.
HAVE_PKG_CONFIG := $(shell command -v $(PKG_CONFIG))
PKG_MISSING := $(strip $(if $(HAVE_PKG_CONFIG),$(foreach m,$(PKGS),$(if $(shell $(PKG_CONFIG) --exists $(m) && echo y),,$(m))),$(PKGS)))
ifeq ($(PKG_MISSING),)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread
endif

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla $(if $(filter 1,$(WERROR)),-Werror)
# -MMD -MP: each object's header dependencies, in build/**/*.d.
BASEFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Iinclude $(PKG_CFLAGS) $(WARN) -MMD -MP
# Our hardening, unless the caller's flags already choose a _FORTIFY_SOURCE
# level (dpkg-buildflags does: defining it twice is a warning).
HARDEN    := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2) -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
ASANFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

COMPILE   = $(CC) $(BASEFLAGS) $(HARDEN) $(CPPFLAGS) $(CFLAGS)
COMPILE_ASAN = $(CC) $(BASEFLAGS) $(ASANFLAGS)

SRC       := $(sort $(wildcard src/*.c))
LIB_SRC   := $(filter-out src/main.c,$(SRC))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
SQL       := $(sort $(wildcard sql/*.sql))
LUA       := $(sort $(wildcard src/lua/*.lua))

OBJ       := $(SRC:src/%.c=build/obj/%.o) build/obj/embedded.o
LIB_OBJ   := $(filter-out build/obj/main.o,$(OBJ))
CHECK_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/unit/%)
ASAN_OBJ  := $(SRC:src/%.c=build/asan/obj/%.o) build/asan/obj/embedded.o
ASAN_LIB  := $(filter-out build/asan/obj/main.o,$(ASAN_OBJ))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/unit/%)

# Fuzz targets (tests/fuzz/fuzz_NAME.c): replayed by `make test` with gcc,
# run under libFuzzer by `make fuzz` with clang.
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_HDR  := $(wildcard tests/fuzz/*.h)
REPLAY_BIN := $(FUZZ_NAMES:%=build/asan/tests/fuzz/fuzz_replay_%)
# The fixed test keys of fuzz_token, found wherever the target runs from.
FUZZ_DEFS := -DFUZZ_KEYS_DIR='"$(CURDIR)/tests/fuzz/keys"'

# `make V=1` shows the full compiler command lines.
Q := $(if $(filter-out 0,$(V)),,@)

.PHONY: all asan unit check pkgs run stop status logs test test-cluster test-deb deb fuzz bench soak install clean deps version
all: build/phoneauth

build/phoneauth: $(OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(HARDEN) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: src/%.c | build/obj pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE) -c -o $@ $<

# main.c prints the version (PHONEAUTH_VERSION): rebuilt when it changes.
build/obj/main.o build/asan/obj/main.o: debian/changelog
build/obj/main.o build/asan/obj/main.o: BASEFLAGS += -DPHONEAUTH_VERSION='"$(VERSION)"'

version:
	@echo $(VERSION)

build/obj/embedded.o: build/embedded.c | build/obj pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE) -c -o $@ $<

# The migrations (sql/) and the Redis scripts (src/lua/) are compiled into the
# program, so it always runs the schema and scripts its own code expects; so
# is the OpenAPI description (openapi/), which GET openapi.json answers.
OPENAPI   := openapi/openapi.json
build/embedded.c: $(SQL) $(LUA) $(OPENAPI) scripts/embed.sh | build
	@echo "  EMBED   $@"
	$(Q){ scripts/embed.sh migrations $(SQL); scripts/embed.sh lua_scripts $(LUA); \
	    scripts/embed.sh openapi_json $(OPENAPI); } > $@.tmp
	$(Q)mv $@.tmp $@

asan: build/asan/phoneauth $(UNIT_BIN) $(REPLAY_BIN)

build/asan/phoneauth: $(ASAN_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASANFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/obj/%.o: src/%.c | build/asan/obj pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE_ASAN) -c -o $@ $<

build/asan/obj/embedded.o: build/embedded.c | build/asan/obj pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE_ASAN) -c -o $@ $<

build/asan/tests/unit/%: tests/unit/%.c $(ASAN_LIB) | build/asan/tests/unit pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE_ASAN) -Itests/unit -o $@ $< $(ASAN_LIB) $(PKG_LIBS)

build/asan/tests/fuzz/fuzz_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) $(ASAN_LIB) | build/asan/tests/fuzz pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE_ASAN) -Itests/fuzz $(FUZZ_DEFS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(ASAN_LIB) $(PKG_LIBS) -lm

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# make check: the unit tests, built like build/phoneauth (the caller's flags,
# no sanitizers), run at once. Nothing is installed, no daemon is started.
build/tests/unit/%: tests/unit/%.c $(LIB_OBJ) | build/tests/unit pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE) -Itests/unit $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS)

check: $(CHECK_BIN)
	@failed=0; for t in $(CHECK_BIN); do $$t || failed=1; done; \
	if [ $$failed = 0 ]; then echo "check: all unit tests passed"; else echo "check: FAILED" >&2; exit 1; fi

# Fails, naming them, when pkg-config cannot find a library (or is missing).
pkgs:
ifneq ($(PKG_MISSING),)
	@echo "make: $(if $(HAVE_PKG_CONFIG),$(PKG_CONFIG) cannot find the pkg-config module(s): $(PKG_MISSING),$(PKG_CONFIG) is not installed (needed to find $(PKGS)))" >&2
	@echo "make: install the development packages (Debian: scripts/deps.sh build, as root," >&2
	@echo "      or apt-get install pkg-config libfcgi-dev libpq-dev libhiredis-dev libjson-c-dev libjwt-dev libssl-dev uuid-dev libcbor-dev libqrencode-dev libcurl4-openssl-dev)" >&2
	@exit 1
endif

build build/obj build/asan/obj build/asan/tests/unit build/tests/unit build/asan/tests/fuzz build/fuzz/obj:
	mkdir -p $@

# The header dependencies the compiler wrote (-MMD -MP).
-include $(wildcard build/obj/*.d build/asan/obj/*.d build/tests/unit/*.d build/asan/tests/unit/*.d build/bench/*.d)

deps:
	@scripts/deps.sh build run test

# make run needs what builds and runs the stack, not the test tools (Apache,
# nginx, Django come with `make test`).
run:
	@scripts/deps.sh build run
	@$(MAKE) --no-print-directory all
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop

status:
	@scripts/stack.sh status

LOGS_N ?= 20
logs:
	@scripts/stack.sh logs $(LOGS_N)

# (the browser group, Chromium and Selenium for tests/e2e/test_page.py, only
# here: make run needs no browser)
test: deps
	@scripts/deps.sh browser
	@$(MAKE) --no-print-directory all asan
	@tests/run.sh

# tests/cluster/run.sh: its machines are network namespaces (root only), the
# hosts run the ASan+UBSan build.
test-cluster: deps
	@$(MAKE) --no-print-directory asan
	@tests/cluster/run.sh

# libFuzzer needs clang: the project's sources are built again with its
# coverage instrumentation (build/fuzz/obj), each target linked with them.
# tests/fuzz/run.sh runs each target on a scratch corpus under build/fuzz and
# fails if any finds a crash, leaving it in build/fuzz/crashers/NAME/.
FUZZ_CC    ?= clang
FUZZ_S     ?= 60
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# (clang's -Wformat=2 also flags vsnprintf(fmt) in a printf-like helper)
FUZZ_CFLAGS := $(filter-out -Werror,$(BASEFLAGS)) -Wno-format-nonliteral \
    -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_OBJ   := $(LIB_SRC:src/%.c=build/fuzz/obj/%.o) build/fuzz/obj/embedded.o
FUZZ_BIN   := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
.SECONDARY: $(FUZZ_OBJ)

fuzz:
	@scripts/deps.sh build fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@tests/fuzz/run.sh $(FUZZ_S) $(FUZZ_TARGETS)

build/fuzz/obj/%.o: src/%.c $(wildcard include/phoneauth/*.h) | build/fuzz/obj
	@echo "  CLANG   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/obj/embedded.o: build/embedded.c | build/fuzz/obj
	@echo "  CLANG   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) $(FUZZ_OBJ)
	@echo "  CLANG   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz $(FUZZ_DEFS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lm

# The benchmark (bench/run.sh): its own stack, wrk through lighttpd, one table
# (build/bench/bench.md, .txt, .dat, .png); with BENCH_USERS or BENCH_SESSIONS
# a second pass with that much data loaded in bulk (bench/load.py).
bench: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all build/bench/ceiling build/bench/pbkdf2
	@bench/run.sh

# The soak test (bench/soak.sh, bench/soak.py): its own stack under var/soak,
# the flow from client threads, chaos on the stores and the workers, a report.
soak: deps
	@$(MAKE) --no-print-directory all
	@bench/soak.sh

build/bench/%: bench/%.c | build/bench pkgs
	@echo "  CC      $@"
	$(Q)$(COMPILE) $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

build/bench:
	mkdir -p $@

# make install PREFIX=/usr/local DESTDIR=/tmp/stage: the program, the systemd
# units and user, the configuration (SYSCONFDIR/phoneauth/phoneauth.conf, only
# when there is none: an upgrade never overwrites it; it may name database
# passwords, so it is 0640 root:phoneauth, as the package's postinst makes it,
# or 0600 while there is no phoneauth group; as root without DESTDIR,
# systemd-sysusers makes the user first, as the postinst does), the example
# configuration, the logrotate file of the audit log, the web-server snippets, the reference sign-in page
# (share/phoneauth/www) and the SMS provider scripts; paths inside them follow
# PREFIX and SYSCONFDIR. The documentation: README.md beside docs/ (its
# documents and their images), as in the tree, so the links between them work.
SHARE := $(PREFIX)/share/phoneauth
DOCDIR ?= $(PREFIX)/share/doc/phoneauth
FIXPATHS = sed -e 's|/usr/local|$(PREFIX)|g' -e 's|/etc/phoneauth|$(SYSCONFDIR)/phoneauth|g'
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/phoneauth $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SHARE)/sms \
	    $(DESTDIR)$(SHARE)/lighttpd $(DESTDIR)$(SHARE)/apache $(DESTDIR)$(SHARE)/nginx \
	    $(DESTDIR)$(SHARE)/grafana $(DESTDIR)$(SHARE)/www
	install -m 0755 build/phoneauth $(DESTDIR)$(PREFIX)/bin/phoneauth
	for f in conf/systemd/*.service conf/systemd/*.socket; do \
	    $(FIXPATHS) $$f > $(DESTDIR)$(SYSTEMDDIR)/$$(basename $$f) && \
	    chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$$(basename $$f) || exit 1; \
	done
	install -m 0644 conf/systemd/phoneauth.sysusers $(DESTDIR)$(SYSUSERSDIR)/phoneauth.conf
	$(FIXPATHS) conf/phoneauth.conf.example > $(DESTDIR)$(SHARE)/phoneauth.conf.example
	chmod 0644 $(DESTDIR)$(SHARE)/phoneauth.conf.example
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
	    systemd-sysusers $(SYSUSERSDIR)/phoneauth.conf; fi
	conf=$(DESTDIR)$(SYSCONFDIR)/phoneauth/phoneauth.conf; \
	if [ -e $$conf ]; then echo "install: $$conf exists, left as it is"; \
	elif [ "$$(id -u)" = 0 ] && getent group phoneauth >/dev/null; then \
	    install -m 0640 -o root -g phoneauth $(DESTDIR)$(SHARE)/phoneauth.conf.example $$conf; \
	else \
	    install -m 0600 $(DESTDIR)$(SHARE)/phoneauth.conf.example $$conf && \
	    echo "install: $$conf is 0600: there is no phoneauth group yet (systemd-sysusers makes it);" && \
	    echo "install: then: chgrp phoneauth $$conf && chmod 0640 $$conf"; fi
	for d in lighttpd apache nginx sms grafana; do for f in conf/$$d/*; do \
	    $(FIXPATHS) $$f > $(DESTDIR)$(SHARE)/$$d/$$(basename $$f) || exit 1; \
	    if [ -x $$f ]; then chmod 0755 $(DESTDIR)$(SHARE)/$$d/$$(basename $$f); \
	    else chmod 0644 $(DESTDIR)$(SHARE)/$$d/$$(basename $$f); fi; \
	done; done
	install -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(FIXPATHS) conf/logrotate/phoneauth > $(DESTDIR)$(SYSCONFDIR)/logrotate.d/phoneauth
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/logrotate.d/phoneauth
	install -m 0644 www/index.html www/phoneauth.css www/phoneauth.js $(DESTDIR)$(SHARE)/www/
	install -m 0644 README.md LICENSE $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/docs/screenshots
	install -m 0644 docs/*.md docs/*.png $(DESTDIR)$(DOCDIR)/docs/
	install -m 0644 docs/screenshots/*.png $(DESTDIR)$(DOCDIR)/docs/screenshots/

# make deb: dpkg-buildpackage -us -uc -b (debian/rules: the distribution's
# build flags, `make check` as the test) in a copy of the tree under
# build/deb/src, so the tree itself is not touched; the package lands in
# build/deb/, and lintian reports on it (an error fails the target).
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEB      = build/deb/phoneauth_$(VERSION)_$(DEB_ARCH).deb
deb:
	@scripts/deps.sh build deb
	@scripts/build-deb.sh

# make test-deb: installs build/deb/*.deb in a clean Debian 12 root with its
# dependencies and checks it there (tests/deb/run.sh); the root is made once.
test-deb:
	@scripts/deps.sh build deb
	@scripts/build-deb.sh
	@tests/deb/run.sh $(DEB)

# make clean: build/, and the PostgreSQL clusters that the stacks of this
# tree (make run, make test, bench, soak) put under /var/tmp when postgres
# could not reach var/ (see scripts/stack.sh). It stops those stacks first.
clean:
	@scripts/stack.sh clean-all
	rm -rf build
