#!/bin/bash
# stack.sh — the private stack `make run`, `make test` and `make bench` start:
# Redis, PostgreSQL, the phoneauth worker pool and lighttpd, all on loopback,
# all state under one directory, every process recorded by pid so that `stop`
# stops exactly what `start` started (nothing is ever killed by name).
#
#   stack.sh start           start what is not running; restart the workers and
#                            lighttpd (a rebuilt binary is picked up); Redis and
#                            PostgreSQL keep running with their data
#   stack.sh stop            stop everything started here (also when the state
#                            directory was removed under a running stack: its
#                            processes are then found by their command lines)
#   stack.sh status          one line per component
#   stack.sh logs [N]        the last N lines (20) of every log, then follows
#                            them (FOLLOW=0: no following)
#   stack.sh clean-all       stop the stacks of this checkout whose PostgreSQL
#                            cluster lives under /var/tmp, and remove those clusters
#   stack.sh restart-pool    restart only the workers (new binary, new PHONEAUTH_*)
#   stack.sh stop-redis | start-redis | stop-postgres | start-postgres
#   stack.sh stop-sender | start-sender
#   stack.sh stop-lighttpd | start-lighttpd
#
# Settings (environment; never PHONEAUTH_*, which the workers would read as
# configuration): STATE_DIR (default <repo>/var), HTTP_PORT (8080),
# HTTP_BIND (127.0.0.1: the address lighttpd listens on), REDIS_PORT (16379), PG_PORT (15432), REDIS_MAXMEMORY (256mb), WORKERS (4), APP_BIN
# (<repo>/build/phoneauth), QUIET=1 to skip the walk-through after start.
# PHONEAUTH_* variables in the caller's environment reach the workers
# unchanged (e.g. PHONEAUTH_OTP_COOLDOWN=5 make run).
#
# Layout of the state directory:
#   phoneauth.conf  the configuration the workers read (rewritten at each start)
#   jwt.secret data.key redis.pass pg.pass pg.superpass   generated once, mode 0600
#   redis.conf redis/   Redis (no persistence: its data lives in memory only)
#   pg/                 the PostgreSQL cluster (owned by `postgres` when run as root)
#   run/                pid files and sockets      log/   every log
set -eu

# Debian installs the daemons (lighttpd, apache2, nginx, ...) in /usr/sbin,
# which is not on an ordinary user's PATH.
for d in /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

repo=$(cd "$(dirname "$0")/.." && pwd -P)
state=$(realpath -m "${STATE_DIR:-$repo/var}")
http_port=${HTTP_PORT:-8080}
http_bind=${HTTP_BIND:-127.0.0.1}
redis_port=${REDIS_PORT:-16379}
pg_port=${PG_PORT:-15432}
redis_maxmemory=${REDIS_MAXMEMORY:-256mb}
workers=${WORKERS:-4}
app=$(realpath -m "${APP_BIN:-$repo/build/phoneauth}")
pg_bin=/usr/lib/postgresql/15/bin
[ -x "$pg_bin/pg_ctl" ] || pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

run=$state/run
log=$state/log
conf=$state/phoneauth.conf

say() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# need PROGRAM PACKAGE: stops, naming both, when PROGRAM is not installed.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 is not installed (Debian package $2; scripts/deps.sh run installs what is missing)"
}

# ---- processes ----

# alive PID [COMM]: PID is running (not a zombie waiting to be reaped) and,
# when COMM is given, is that program, so that a stale pid file left by a
# crash or a reboot never makes us signal some other process.
alive() {
	local pid=${1:-} comm=${2:-} st
	[ -n "$pid" ] && [ -e "/proc/$pid" ] || return 1
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] || return 1
	[ -z "$comm" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ]
}

pid_of() { [ -f "$1" ] && head -n 1 "$1" 2>/dev/null || true; }

# stop_pid PID COMM NAME [SIGNAL]: SIGNAL (TERM), wait up to 15 s, then KILL
# and wait again.
stop_pid() {
	local pid=$1 comm=$2 name=$3 sig=${4:-TERM}
	alive "$pid" "$comm" || return 0
	kill -"$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 1 150); do
		alive "$pid" || return 0
		sleep 0.1
	done
	say "$name ($pid) did not stop in 15 s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		alive "$pid" || return 0
		sleep 0.1
	done
	say "$name ($pid) is still there"
}

# PostgreSQL refuses to run as root: as root, its commands run as `postgres`,
# from / (the caller's directory may be one postgres cannot enter, and
# initdb, pg_ctl and psql would each say "could not change directory").
as_postgres() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# secret FILE: a random hex secret (32 bytes), made once, mode 0600.
secret() {
	if [ ! -s "$1" ]; then
		(
			umask 077
			openssl rand -hex 32 > "$1.tmp" 2>/dev/null ||
				od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$1.tmp"
			echo >> "$1.tmp"
			mv "$1.tmp" "$1"
		)
	fi
	head -n 1 "$1"
}

# data_key FILE: data_key_file, 32 random bytes as one line of 64 hex digits
# (what the program reads; secret's files end in two newlines), made once,
# mode 0600.
data_key() {
	if [ ! -s "$1" ]; then
		(
			umask 077
			{ openssl rand -hex 32 2>/dev/null || od -An -tx1 -N32 /dev/urandom; } |
				tr -d ' \n' > "$1.tmp"
			echo >> "$1.tmp"
			mv "$1.tmp" "$1"
		)
	fi
}

# Unix sockets spare the workers a TCP round trip's worth of kernel work; a
# path must fit in sun_path (108 bytes), else the stores are reached over
# loopback TCP only. Redis and PostgreSQL listen on 127.0.0.1 as well, which
# is what the tests and psql use.
short_enough() { [ ${#1} -lt 100 ]; }
redis_socket() { short_enough "$run/redis.sock" && echo "$run/redis.sock" || true; }
pg_socket_dir() { short_enough "$(pg_dir)/.s.PGSQL.$pg_port" && pg_dir || true; }

make_dirs() {
	mkdir -p "$state"
	(umask 077 && mkdir -p "$run" "$log" "$state/redis")
}

# ---- Redis ----

redis_pid() { pid_of "$run/redis.pid"; }

redis_ping() {
	REDISCLI_AUTH=$(head -n 1 "$state/redis.pass") \
		redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG
}

start_redis() {
	local pass sock
	alive "$(redis_pid)" redis-server && return 0
	need redis-server redis-server
	need redis-cli redis-tools
	make_dirs
	pass=$(secret "$state/redis.pass")
	sock=$(redis_socket)
	rm -f "$run/redis.pid"
	(umask 077 && cat > "$state/redis.conf" <<-EOF
	# Generated by scripts/stack.sh; rewritten at each start of Redis.
	bind 127.0.0.1
	port $redis_port
	protected-mode yes
	requirepass $pass
	dir $state/redis
	pidfile $run/redis.pid
	logfile $log/redis.log
	daemonize yes
	# No persistence: sessions, codes and counters are short-lived, and a
	# restarted Redis starts empty.
	save ""
	appendonly no
	# A ceiling on memory, and no eviction when it is reached: evicting
	# would silently drop blocks, failure counts and sessions. Writes are
	# refused instead, and phoneauth answers 503 service_unavailable.
	maxmemory $redis_maxmemory
	maxmemory-policy noeviction
	EOF
	)
	if [ -n "$sock" ]; then
		printf 'unixsocket %s\nunixsocketperm 700\n' "$sock" >> "$state/redis.conf"
	fi
	redis-server "$state/redis.conf" </dev/null || die "Redis did not start; see $log/redis.log"
	for _ in $(seq 1 100); do
		redis_ping && return 0
		sleep 0.1
	done
	tail -n 20 "$log/redis.log" >&2 || true
	die "Redis does not answer on 127.0.0.1:$redis_port; see $log/redis.log"
}

stop_redis() {
	stop_pid "$(redis_pid)" redis-server Redis
	rm -f "$run/redis.pid"
}

# ---- PostgreSQL ----
# The cluster lives in $state/pg, owned by the postgres user when we are root.
# When postgres cannot reach $state (a checkout under /root, say), the cluster
# goes to /var/tmp/phoneauth-pg-<hash> and $state/pg is a symlink to it.
# Its server log is pg/postgresql.log (log/postgresql.log points to it).
# Whatever runs as postgres is given the real path, never the symlink.

# The cluster outside: one directory per state directory, named by a hash of
# its path, with an `owner` file naming that path (make clean finds them so).
pg_dir() { realpath -m "$state/pg"; }
pg_elsewhere() { echo "/var/tmp/phoneauth-pg-$(echo "$state" | md5sum | cut -c1-12)"; }

# pg_home: pg_dir, made on first use.
pg_home() {
	local elsewhere
	if [ -L "$state/pg" ] && [ ! -e "$state/pg" ]; then
		# the cluster it pointed to was removed (make clean): a new one
		mkdir -p "$(pg_dir)"
	fi
	if [ -e "$state/pg" ]; then
		pg_dir
		return
	fi
	elsewhere=$(pg_elsewhere)
	if [ -e "$elsewhere" ] && [ -s "$state/pg.superpass" ] && [ -e "$elsewhere/data/PG_VERSION" ]; then
		# Only the link went; the passwords are still here: link it again.
		ln -s "$elsewhere" "$state/pg"
		pg_dir
		return
	fi
	if [ -e "$elsewhere" ]; then
		# The cluster of an earlier $state, removed with its passwords
		# (rm -rf var): nothing can log in to it any more. Its server, if
		# it still ran, was stopped before (stop_strays).
		say "removing $elsewhere, the PostgreSQL cluster of a removed $state" >&2
		rm -rf "$elsewhere"
	fi
	if is_root && ! (cd / && runuser -u postgres -- test -x "$state") 2>/dev/null; then
		mkdir -p "$elsewhere"
		echo "$state" > "$elsewhere/owner"
		ln -s "$elsewhere" "$state/pg"
	else
		mkdir -p "$state/pg"
	fi
	pg_dir
}

pg_pid() { pid_of "$(pg_dir)/data/postmaster.pid"; }

psql_super() {
	PGPASSWORD=$(head -n 1 "$state/pg.superpass") psql -X -q -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$pg_port" -U postgres -d postgres "$@"
}

start_postgres() {
	local home pass verb
	[ -n "$pg_bin" ] && [ -x "$pg_bin/pg_ctl" ] ||
		die "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/pg_ctl (Debian package postgresql; scripts/deps.sh run)"
	need psql postgresql-client
	make_dirs
	home=$(pg_home)
	if [ ! -f "$home/data/PG_VERSION" ]; then
		say "creating the PostgreSQL cluster in $home/data"
		secret "$state/pg.superpass" >/dev/null
		if is_root; then chown postgres: "$home"; fi
		chmod 700 "$home"
		as_postgres mkdir -p "$home/data"
		# initdb reads the superuser password from a file postgres can read;
		# the file goes right after.
		as_postgres sh -c "umask 077 && cat > '$home/pwfile'" < "$state/pg.superpass"
		as_postgres "$pg_bin/initdb" -D "$home/data" -U postgres --pwfile="$home/pwfile" \
			--auth=scram-sha-256 --encoding=UTF8 --locale=C >"$log/initdb.log" 2>&1 \
			|| { rm -f "$home/pwfile"; die "initdb failed; see $log/initdb.log"; }
		rm -f "$home/pwfile"
	fi
	ln -sfn "$home/postgresql.log" "$log/postgresql.log"
	if ! alive "$(pg_pid)" postgres; then
		as_postgres "$pg_bin/pg_ctl" -D "$home/data" -l "$home/postgresql.log" -w -t 60 \
			-o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$(pg_socket_dir)'" \
			start </dev/null >/dev/null || { tail -n 20 "$home/postgresql.log" >&2 || true;
				die "PostgreSQL did not start; see $home/postgresql.log"; }
	fi
	# The application's role and database; the role's password follows
	# pg.pass (so a regenerated file is picked up).
	# The password goes to psql on its standard input, never on a command
	# line (where ps shows it to every user): a psql variable, quoted by
	# psql itself (:'pass').
	pass=$(secret "$state/pg.pass")
	pass=${pass//\\/\\\\}
	pass=${pass//\'/\'\'}
	if [ -z "$(psql_super -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'phoneauth'")" ]; then
		verb=CREATE
	else
		verb=ALTER
	fi
	printf "\\set pass '%s'\n%s ROLE phoneauth LOGIN PASSWORD :'pass';\n" "$pass" "$verb" | psql_super
	if [ -z "$(psql_super -Atc "SELECT 1 FROM pg_database WHERE datname = 'phoneauth'")" ]; then
		psql_super -c "CREATE DATABASE phoneauth OWNER phoneauth"
	fi
}

stop_postgres() {
	alive "$(pg_pid)" postgres || return 0
	as_postgres "$pg_bin/pg_ctl" -D "$(pg_dir)/data" -m fast -w -t 30 stop >/dev/null \
		|| stop_pid "$(pg_pid)" postgres PostgreSQL INT
}

# ---- the configuration the workers read ----

redis_url() {
	local pass sock
	pass=$(head -n 1 "$state/redis.pass")
	sock=$(redis_socket)
	if [ -n "$sock" ]; then
		echo "unix:$sock?password=$pass"
	else
		echo "redis://:$pass@127.0.0.1:$redis_port/0"
	fi
}

postgres_url() {
	local pass dir
	pass=$(head -n 1 "$state/pg.pass")
	dir=$(pg_socket_dir)
	if [ -n "$dir" ]; then
		echo "postgresql://phoneauth:$pass@/phoneauth?host=$dir&port=$pg_port"
	else
		echo "postgresql://phoneauth:$pass@127.0.0.1:$pg_port/phoneauth"
	fi
}

write_config() {
	secret "$state/jwt.secret" >/dev/null
	data_key "$state/data.key"
	(umask 077 && cat > "$conf.tmp" <<-EOF
	# Generated by scripts/stack.sh for the stack in $state;
	# rewritten at every start: edits here are lost. Keys and defaults:
	# docs/operations.md, "Configuration". PHONEAUTH_<KEY> variables override them.
	base_path = /api
	redis_url = $(redis_url)
	redis_prefix = phoneauth:
	postgres_url = $(postgres_url)
	jwt_alg = HS256
	jwt_secret_file = $state/jwt.secret
	data_key_file = $state/data.key
	sms_driver = log
	language = en
	# Passkeys on the page at http://localhost:$http_port/ (browsers take
	# localhost as a secure context; an IP address cannot be an RP ID).
	passkey_rp_id = localhost
	passkey_origins = http://localhost:$http_port
	audit_log = $log/audit.jsonl
	EOF
	)
	mv "$conf.tmp" "$conf"
}

migrate() {
	"$app" -c "$conf" migrate </dev/null >"$log/migrate.log" 2>&1 \
		|| { cat "$log/migrate.log" >&2; die "$app migrate failed"; }
}

# ---- the worker pool ----
# spawn-fcgi binds the socket and hands it (on fd 0) to multiwatch, which
# forks $WORKERS workers and starts a fresh one whenever one exits (a crash,
# or max_requests reached). run/pool.pid holds multiwatch's pid; the workers
# are its children. The workers' standard error is log/phoneauth.log.
# (spawn-fcgi -F N would fork the workers itself, one pid per line in its
# pid file, but sends their standard error to /dev/null and restarts nothing.)
#
# On TERM, multiwatch sends its -s signal to the workers and exits when they
# have; USR2 it passes on as it is, and restarts the workers that end (the
# graceful reload). Debian 12's multiwatch 1.0.0 sends SIGQUIT where told
# -s TERM (a bug fixed in 1.0.1): phoneauth treats QUIT like TERM.
# -r/-t: a worker that ends on purpose (max_requests, a reload) is restarted
# however soon after its start; one that cannot start (a bad configuration)
# is given up after 100 tries, and then the pool ends.
pool_args() { echo "-f $workers -s TERM -r 100 -t 1000"; }

pool_pid() { pid_of "$run/pool.pid"; }
worker_pids() {
	local pid
	pid=$(pool_pid)
	if alive "$pid" multiwatch; then
		pgrep -P "$pid" | tr '\n' ' ' | sed 's/ $//'
	fi
}

start_pool() {
	local pid
	[ -x "$app" ] || die "$app is missing; build it first (make)"
	[ -f "$conf" ] || die "$conf is missing; run: $0 start"
	need spawn-fcgi spawn-fcgi
	need multiwatch multiwatch
	stop_pool
	make_dirs
	rm -f "$run/phoneauth.sock"
	# setsid: the pool outlives this shell and Ctrl-C in it.
	setsid spawn-fcgi -n -s "$run/phoneauth.sock" -M 0600 -- \
		"$(command -v multiwatch)" $(pool_args) -- "$app" -c "$conf" \
		</dev/null >>"$log/phoneauth.log" 2>&1 &
	pid=$!
	echo "$pid" > "$run/pool.pid"
	for _ in $(seq 1 100); do
		if [ -S "$run/phoneauth.sock" ] && alive "$pid" multiwatch \
			&& [ -n "$(pgrep -P "$pid")" ]; then
			return 0
		fi
		alive "$pid" || break
		sleep 0.1
	done
	tail -n 20 "$log/phoneauth.log" >&2 || true
	stop_pool
	die "the worker pool did not start; see $log/phoneauth.log"
}

stop_pool() {
	local pid workers_then w
	pid=$(pool_pid)
	workers_then=$(worker_pids)
	# multiwatch passes a stop signal on to every worker (see pool_args)
	# and exits once they have; any worker still there then gets its own.
	stop_pid "$pid" multiwatch "worker pool"
	for w in $workers_then; do
		stop_pid "$w" "" "worker"
	done
	rm -f "$run/pool.pid" "$run/phoneauth.sock"
}

# ---- the SMS sender: empties the outbox (the log driver here: codes go to
# log/phoneauth.log) ----

sender_pid() { pid_of "$run/sender.pid"; }

start_sender() {
	local pid
	stop_sender
	setsid "$app" -c "$conf" sender </dev/null >>"$log/phoneauth.log" 2>&1 &
	pid=$!
	echo "$pid" > "$run/sender.pid"
	sleep 0.2
	alive "$pid" || die "the SMS sender did not start; see $log/phoneauth.log"
}

stop_sender() {
	stop_pid "$(sender_pid)" phoneauth "SMS sender"
	rm -f "$run/sender.pid"
}

# ---- lighttpd ----
# The default stack runs the top-level lighttpd.conf as it is; any other
# (tests, benchmark, the hosts of the cluster test) runs a copy with its two
# set-up lines replaced, and its address when HTTP_BIND says another.

lighttpd_conf() {
	if [ "$state" = "$repo/var" ] && [ "$http_port" = 8080 ] && [ "$http_bind" = 127.0.0.1 ]; then
		echo "$repo/lighttpd.conf"
		return
	fi
	sed -e "s|^var.phoneauth_state = .*|var.phoneauth_state = \"$state\"|" \
	    -e "s|^server.port = .*|server.port = $http_port|" \
	    -e "s|^server.bind \( *\)= .*|server.bind \1= \"$http_bind\"|" \
	    "$repo/lighttpd.conf" > "$state/lighttpd.conf"
	echo "$state/lighttpd.conf"
}

lighttpd_pid() { pid_of "$run/lighttpd.pid"; }

start_lighttpd() {
	local cfg out
	need lighttpd lighttpd
	stop_lighttpd
	make_dirs
	cfg=$(lighttpd_conf)
	# From the repository root: var.CWD in lighttpd.conf is that directory.
	# Errors before its error log is open (a port in use, say) go to its
	# standard error.
	if ! out=$(cd "$repo" && lighttpd -f "$cfg" </dev/null 2>&1); then
		echo "$out" >&2
		tail -n 5 "$log/lighttpd-error.log" >&2 2>/dev/null || true
		if printf '%s' "$out" | grep -q 'Address already in use'; then
			die "lighttpd did not start: port $http_port is taken"
		fi
		die "lighttpd did not start; see the lines above and $log/lighttpd-error.log"
	fi
	for _ in $(seq 1 50); do
		alive "$(lighttpd_pid)" lighttpd && return 0
		sleep 0.1
	done
	die "lighttpd wrote no pid file; see $log/lighttpd-error.log"
}

stop_lighttpd() {
	stop_pid "$(lighttpd_pid)" lighttpd lighttpd
	rm -f "$run/lighttpd.pid"
}

# ---- the stack's processes, by their command lines ----
# When the state directory goes (rm -rf var) while the stack runs, its pid
# files go with it, but the processes keep their ports. They are found by
# what they were started with, exact paths of this state directory only (so
# another stack, such as var/test inside var/ or another checkout, never
# matches): the pool, its workers and the sender by `-c $conf`, lighttpd by
# `-f` its configuration, PostgreSQL's postmaster by `-D` its data
# directory, Redis by its working directory ($state/redis).

# owned: "pid comm" lines, one per process of this stack, recorded or not.
owned() {
	local p pid comm cwd i
	local -a args
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		{ read -r comm < "$p/comm"; } 2>/dev/null || continue
		case $comm in
		phoneauth | multiwatch | spawn-fcgi | lighttpd | postgres | redis-server) ;;
		*) continue ;;
		esac
		if [ "$comm" = redis-server ]; then
			cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
			case $cwd in
			"$state/redis" | "$state/redis (deleted)") echo "$pid $comm" ;;
			esac
			continue
		fi
		{ mapfile -d '' -t args < "$p/cmdline"; } 2>/dev/null || continue
		for ((i = 0; i + 1 < ${#args[@]}; i++)); do
			case $comm:${args[i]} in
			phoneauth:-c | multiwatch:-c | spawn-fcgi:-c)
				[ "${args[i+1]}" = "$conf" ] || continue ;;
			lighttpd:-f)
				[ "${args[i+1]}" = "$state/lighttpd.conf" ] ||
					{ [ "$state" = "$repo/var" ] && [ "${args[i+1]}" = "$repo/lighttpd.conf" ]; } ||
					continue ;;
			postgres:-D)
				[ "${args[i+1]}" = "$state/pg/data" ] ||
					[ "${args[i+1]}" = "$(pg_elsewhere)/data" ] || continue ;;
			*) continue ;;
			esac
			echo "$pid $comm"
			break
		done
	done
}

# The sender's event outputs, one process each (its children).
sender_children() {
	local pid
	pid=$(sender_pid)
	if alive "$pid" phoneauth; then
		pgrep -P "$pid" | tr '\n' ' ' | sed 's/ $//'
	fi
}

# recorded: the pids the pid files name (and the pool's workers, the
# sender's outputs).
recorded() {
	local pid
	for pid in "$(redis_pid)" "$(lighttpd_pid)" "$(pool_pid)" "$(sender_pid)" $(worker_pids) \
	    $(sender_children); do
		[ -n "$pid" ] && echo "$pid"
	done
	if [ -d "$state/pg" ]; then pg_pid; fi
}

# strays: "pid comm" of this stack's processes no pid file names.
strays() {
	local rec
	rec=" $(recorded | tr '\n' ' ') "
	owned | while read -r pid comm; do
		case $rec in *" $pid "*) ;; *) echo "$pid $comm" ;; esac
	done
}

# stop_strays: stops them, the front first and the stores last (PostgreSQL
# with a fast shutdown), and says what it stopped.
stop_strays() {
	local list pid comm names=
	list=$(strays)
	[ -n "$list" ] || return 0
	for comm in lighttpd multiwatch spawn-fcgi phoneauth postgres redis-server; do
		while read -r pid c; do
			[ "$c" = "$comm" ] || continue
			if [ "$comm" = postgres ]; then
				stop_pid "$pid" postgres PostgreSQL INT
			else
				stop_pid "$pid" "$comm" "$comm"
			fi
			names="$names $comm($pid)"
		done <<< "$list"
	done
	say "stopped what a removed $state left running:$names"
}

# ---- start, stop, status ----

wait_answering() {
	local url=http://127.0.0.1:$http_port/api/health
	need curl curl
	for _ in $(seq 1 100); do
		curl -s -o /dev/null --max-time 2 "$url" && return 0
		sleep 0.1
	done
	echo "--- $log/phoneauth.log" >&2
	tail -n 20 "$log/phoneauth.log" >&2 2>/dev/null || true
	echo "--- $log/lighttpd-error.log" >&2
	tail -n 10 "$log/lighttpd-error.log" >&2 2>/dev/null || true
	die "nothing answers on $url"
}

walk_through() {
	# Pasted as it is, every step answers 2xx: the number is new each time,
	# the session id and the code are picked up by the commands themselves.
	cat <<-EOF

	phoneauth answers on http://127.0.0.1:$http_port/api/ ($workers workers; state and logs in $state).
	The sign-in page (www/) is on http://127.0.0.1:$http_port/; passkeys work on http://localhost:$http_port/ (passkey_rp_id = localhost).
	Try it (paste the whole block; it can be pasted again):

	  api=http://127.0.0.1:$http_port/api
	  phone=0912\$(shuf -i 1000000-9999999 -n 1)          # a new number each time
	  sid=\$(curl -s \$api/register -H 'Content-Type: application/json' \\
	        -d '{"mobile_number": "'\$phone'"}' | sed -n 's/.*"session_id":"\([^"]*\)".*/\1/p')
	  echo "session \$sid"
	  # the code: the log SMS driver writes it to the log within a moment
	  for i in \$(seq 50); do
	    code=\$(sed -n "s/.*sms: code \([0-9]*\) for \$phone .*/\1/p" $log/phoneauth.log | tail -n 1)
	    [ -n "\$code" ] && break; sleep 0.1
	  done
	  echo "code \$code"
	  curl -s \$api/verify-otp -H 'Content-Type: application/json' \\
	       -d '{"session_id": "'\$sid'", "code": "'\$code'"}'; echo
	  curl -s \$api/set-password -H 'Content-Type: application/json' \\
	       -d '{"session_id": "'\$sid'", "password": "correct horse battery"}'; echo
	  curl -s \$api/user-info -H 'Content-Type: application/json' \\
	       -d '{"session_id": "'\$sid'", "first_name": "Sara", "last_name": "Ahmadi"}'; echo
	  curl -s \$api/login -H 'Content-Type: application/json' \\
	       -d '{"mobile_number": "'\$phone'", "password": "correct horse battery"}'; echo

	Three failures (a wrong code, an unknown session, a wrong password) block the
	client address for an hour; to lift the block on this machine:
	  $app -c $conf unblock --ip 127.0.0.1

	Stop everything with: make stop
	EOF
}

# Everything start needs, checked before anything is started.
preflight() {
	need redis-server redis-server
	need redis-cli redis-tools
	need psql postgresql-client
	need spawn-fcgi spawn-fcgi
	need multiwatch multiwatch
	need lighttpd lighttpd
	need curl curl
	need pgrep procps
	[ -n "$pg_bin" ] && [ -x "$pg_bin/pg_ctl" ] ||
		die "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/pg_ctl (Debian package postgresql; scripts/deps.sh run)"
}

start() {
	preflight
	stop_strays
	make_dirs
	start_redis
	start_postgres
	write_config
	migrate
	start_pool
	start_sender
	start_lighttpd
	wait_answering
	[ "${QUIET:-}" = 1 ] || walk_through
}

stop() {
	if [ -d "$state" ]; then
		stop_lighttpd
		stop_sender
		stop_pool
		stop_postgres
		stop_redis
	fi
	stop_strays
}

status() {
	local pid
	line() { if [ -n "$2" ]; then printf '%-10s running (pid %s)\n' "$1" "$2"; else printf '%-10s stopped\n' "$1"; fi; }
	pid=$(redis_pid); alive "$pid" redis-server || pid=; line redis "$pid"
	pid=$(pg_pid); alive "$pid" postgres || pid=; line postgres "$pid"
	pid=$(pool_pid)
	if alive "$pid" multiwatch; then
		printf '%-10s running (pid %s; workers %s)\n' pool "$pid" "$(worker_pids)"
	else
		line pool ""
	fi
	pid=$(sender_pid); alive "$pid" phoneauth || pid=; line sender "$pid"
	pid=$(lighttpd_pid); alive "$pid" lighttpd || pid=; line lighttpd "$pid"
	pid=$(strays | awk '{ printf "%s%s(%s)", sep, $2, $1; sep = " " }')
	if [ -n "$pid" ]; then
		printf '%-10s running, no pid file names them (%s was removed under them; make stop stops them): %s\n' \
			strays "$state" "$pid"
	fi
	[ -d "$state" ] || echo "(no $state: the stack was never started here, or was removed)"
}

# logs [N]: the last N lines of each log, then what they add (FOLLOW=0:
# only the lines).
logs() {
	local n=${1:-20} f
	local -a files=()
	for f in phoneauth.log redis.log postgresql.log lighttpd-error.log lighttpd-access.log; do
		[ -e "$log/$f" ] && files+=("$log/$f")
	done
	[ ${#files[@]} -gt 0 ] || die "no logs in $log (the stack was not started: make run)"
	if [ "${FOLLOW:-1}" = 0 ]; then
		tail -n "$n" "${files[@]}"
	else
		exec tail -n "$n" -F "${files[@]}"
	fi
}

# clean-all: the PostgreSQL clusters that this checkout's stacks (make run,
# make test, bench, soak, any STATE_DIR under it) keep in /var/tmp: each
# stack is stopped first, then its cluster and the link to it go.
clean_all() {
	local d owner s known=
	for s in var var/test var/bench var/soak; do
		known="$known $(STATE_DIR=$repo/$s "$0" pg-elsewhere)"
	done
	for d in /var/tmp/phoneauth-pg-*; do
		[ -d "$d" ] || continue
		owner=$(head -n 1 "$d/owner" 2>/dev/null || true)
		case $owner in
		"$repo"/*) ;;
		*)
			case " $known " in *" $d "*) ;; *) continue ;; esac
			owner=$repo/var
			for s in var var/test var/bench var/soak; do
				[ "$(STATE_DIR=$repo/$s "$0" pg-elsewhere)" = "$d" ] && owner=$repo/$s
			done ;;
		esac
		STATE_DIR=$owner "$0" stop
		rm -rf "$d"
		if [ -L "$owner/pg" ]; then rm -f "$owner/pg"; fi
		say "removed $d (the PostgreSQL cluster of $owner)"
	done
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
logs) logs "${2:-20}" ;;
clean-all) clean_all ;;
pg-elsewhere) pg_elsewhere ;;
restart-pool) start_pool ;;
stop-sender) stop_sender ;;
start-sender) start_sender ;;
stop-lighttpd) stop_lighttpd ;;
start-lighttpd) start_lighttpd ;;
stop-redis) stop_redis ;;
start-redis) start_redis ;;
stop-postgres) stop_postgres ;;
start-postgres) start_postgres ;;
*) echo "usage: $0 start|stop|status|logs [N]|clean-all|restart-pool|stop-redis|start-redis|stop-postgres|start-postgres|stop-sender|start-sender|stop-lighttpd|start-lighttpd" >&2; exit 2 ;;
esac
