# phoneauth — build, run and test.
#
#   make          build build/phoneauth
#   make run      install missing Debian packages, build, start the whole stack
#                 under ./var on http://127.0.0.1:8080/api/
#   make stop     stop exactly what `make run` started
#   make test     unit tests, the fuzz targets' seeds and crashers, and
#                 end-to-end tests through lighttpd, Redis and PostgreSQL, with
#                 ASan+UBSan builds; ends with "N passed, N failed"
#   make fuzz     every fuzz target under libFuzzer (clang) for FUZZ_S seconds
#                 each (60); FUZZ_TARGETS="body token" runs only those

PKGS      := fcgi libpq hiredis json-c libjwt libcrypto uuid
PREFIX    ?= /usr/local
DESTDIR   ?=
SYSCONFDIR ?= /etc
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

CC        ?= gcc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
BASEFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Iinclude $(PKG_CFLAGS) $(WARN)
CFLAGS    ?= -O2 -g
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ASANFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

SRC       := $(sort $(wildcard src/*.c))
LIB_SRC   := $(filter-out src/main.c,$(SRC))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
SQL       := $(sort $(wildcard sql/*.sql))
LUA       := $(sort $(wildcard src/lua/*.lua))

OBJ       := $(SRC:src/%.c=build/obj/%.o) build/obj/embedded.o
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
Q := $(if $(V),,@)

.PHONY: all asan unit run stop test fuzz bench install clean deps
all: build/phoneauth

build/phoneauth: $(OBJ)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(HARDEN) -pie -Wl,-z,relro,-z,now -o $@ $^ $(PKG_LIBS)

build/obj/%.o: src/%.c $(wildcard include/phoneauth/*.h) | build/obj
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(HARDEN) -c -o $@ $<

build/obj/embedded.o: build/embedded.c | build/obj
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(HARDEN) -c -o $@ $<

# The migrations (sql/) and the Redis scripts (src/lua/) are compiled into the
# program, so it always runs the schema and scripts its own code expects.
build/embedded.c: $(SQL) $(LUA) scripts/embed.sh | build
	{ scripts/embed.sh migrations $(SQL); scripts/embed.sh lua_scripts $(LUA); } > $@.tmp
	mv $@.tmp $@

asan: build/asan/phoneauth $(UNIT_BIN) $(REPLAY_BIN)

build/asan/phoneauth: $(ASAN_OBJ)
	@echo "  CC      $@"
	$(Q)$(CC) $(ASANFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/obj/%.o: src/%.c $(wildcard include/phoneauth/*.h) | build/asan/obj
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) $(ASANFLAGS) -c -o $@ $<

build/asan/obj/embedded.o: build/embedded.c | build/asan/obj
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) $(ASANFLAGS) -c -o $@ $<

build/asan/tests/unit/%: tests/unit/%.c tests/unit/harness.h $(ASAN_LIB) | build/asan/tests/unit
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) -Itests/unit $(ASANFLAGS) -o $@ $< $(ASAN_LIB) $(PKG_LIBS)

build/asan/tests/fuzz/fuzz_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) $(ASAN_LIB) | build/asan/tests/fuzz
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) -Itests/fuzz $(FUZZ_DEFS) $(ASANFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(ASAN_LIB) $(PKG_LIBS) -lm

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

build build/obj build/asan/obj build/asan/tests/unit build/asan/tests/fuzz build/fuzz/obj:
	mkdir -p $@

deps:
	@scripts/deps.sh build run test

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop

test: deps
	@$(MAKE) --no-print-directory all asan
	@tests/run.sh

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

# The benchmark (bench/run.sh): its own stack, wrk through lighttpd, one table.
bench: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all build/bench/ceiling build/bench/pbkdf2
	@bench/run.sh

build/bench/%: bench/%.c | build/bench
	@echo "  CC      $@"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(PKG_LIBS)

build/bench:
	mkdir -p $@

# make install PREFIX=/usr/local DESTDIR=/tmp/stage: the program, the systemd
# units and user, an example configuration, the web-server snippets and the
# SMS provider scripts; paths inside them follow PREFIX.
SHARE := $(PREFIX)/share/phoneauth
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/phoneauth $(DESTDIR)$(PREFIX)/share/doc/phoneauth \
	    $(DESTDIR)$(SHARE)/lighttpd $(DESTDIR)$(SHARE)/apache $(DESTDIR)$(SHARE)/nginx
	install -m 0755 build/phoneauth $(DESTDIR)$(PREFIX)/bin/phoneauth
	for f in conf/systemd/*.service; do \
	    sed -e 's|/usr/local|$(PREFIX)|g' -e 's|/etc/phoneauth|$(SYSCONFDIR)/phoneauth|g' $$f \
	        > $(DESTDIR)$(SYSTEMDDIR)/$$(basename $$f) && chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$$(basename $$f); \
	done
	install -m 0644 conf/systemd/phoneauth.sysusers $(DESTDIR)$(SYSUSERSDIR)/phoneauth.conf
	install -m 0644 conf/phoneauth.conf.example $(DESTDIR)$(SYSCONFDIR)/phoneauth/phoneauth.conf.example
	for d in lighttpd apache nginx; do for f in conf/$$d/*; do \
	    sed -e 's|/usr/local|$(PREFIX)|g' $$f > $(DESTDIR)$(SHARE)/$$d/$$(basename $$f); \
	done; done
	if [ -d conf/sms ]; then install -d $(DESTDIR)$(SHARE)/sms && \
	    install -m 0755 conf/sms/* $(DESTDIR)$(SHARE)/sms/; fi
	install -m 0644 README.md LICENSE $(DESTDIR)$(PREFIX)/share/doc/phoneauth/

clean:
	rm -rf build
