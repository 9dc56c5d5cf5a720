# phoneauth — build, run and test.
#
#   make          build build/phoneauth
#   make run      install missing Debian packages, build, start the whole stack
#                 under ./var on http://127.0.0.1:8080/api/
#   make stop     stop exactly what `make run` started
#   make test     unit tests and end-to-end tests through lighttpd, Redis and
#                 PostgreSQL, with ASan+UBSan builds; ends with "N passed, N failed"
#   make bench    throughput and latency through lighttpd, one table
#   make soak     SOAK_S seconds (1800) of the real flow while Redis, PostgreSQL
#                 and single workers are killed and restarted; a report, and a
#                 non-zero exit on an unexplained 5xx or a lost account or login

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

# `make V=1` shows the full compiler command lines.
Q := $(if $(V),,@)

.PHONY: all asan unit run stop test bench soak install clean deps
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

asan: build/asan/phoneauth $(UNIT_BIN)

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

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

build build/obj build/asan/obj build/asan/tests/unit:
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

# The benchmark (bench/run.sh): its own stack, wrk through lighttpd, one table.
bench: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all build/bench/ceiling build/bench/pbkdf2
	@bench/run.sh

# The soak test (bench/soak.sh, bench/soak.py): its own stack under var/soak,
# the flow from client threads, chaos on the stores and the workers, a report.
soak: deps
	@$(MAKE) --no-print-directory all
	@bench/soak.sh

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
