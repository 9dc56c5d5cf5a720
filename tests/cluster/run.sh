#!/bin/bash
# tests/cluster/run.sh — `make test-cluster`: phoneauth on two hosts over
# Redis Sentinel and a PostgreSQL primary with a synchronous standby, every
# machine a network namespace of its own, and tests/cluster/test_cluster.py
# run from the load balancer's place against both hosts.
#
#   lb  10.213.0.1    the load balancer's address: the tests run here
#   h1  10.213.0.11   lighttpd, a worker pool (spawn-fcgi + multiwatch, as
#   h2  10.213.0.12     scripts/stack.sh starts them) and an SMS sender
#   r1  10.213.0.21   the Redis master,  r2 10.213.0.22 its replica
#   s1  10.213.0.41   three Sentinels (s2 .42, s3 .43), quorum 2
#   p1  10.213.0.31   the PostgreSQL primary, p2 10.213.0.32 its standby,
#                     streaming synchronously (synchronous_standby_names)
#
# The namespaces are pac-<pid of this script>-<machine>; their eth0 are veth
# pairs whose other ends hang on one bridge in pac-<pid>-sw. Nothing of this
# is in the machine's own namespace: no interface, no route, no address
# (10.213.0.0/24 exists only here). Everything started here is stopped, and
# every namespace deleted, however the run ends (trap), and only those: the
# processes of a namespace made here are found with `ip netns pids`.
#
# Needs root (ip netns); as anyone else it says so and fails. State and logs
# stay in var/cluster until the next run. Ends with "N passed, N failed".
# Environment: APP_BIN (build/asan/phoneauth), CLUSTER_TIMEOUT (420 s, the
# limit of the test program).
set -u

for d in /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$repo" || exit 1
app=$(realpath -m "${APP_BIN:-$repo/build/asan/phoneauth}")
stack=$repo/scripts/stack.sh
state=$repo/var/cluster
ns=pac-$$
limit=${CLUSTER_TIMEOUT:-420}
pg_bin=/usr/lib/postgresql/15/bin
[ -x "$pg_bin/pg_ctl" ] || pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

machines="lb h1 h2 r1 r2 s1 s2 s3 p1 p2"
declare -A addr=(
	[lb]=10.213.0.1 [h1]=10.213.0.11 [h2]=10.213.0.12 [r1]=10.213.0.21 [r2]=10.213.0.22
	[s1]=10.213.0.41 [s2]=10.213.0.42 [s3]=10.213.0.43 [p1]=10.213.0.31 [p2]=10.213.0.32
)
master_name=pamaster
http_port=8080
# what postgres.sh and test_cluster.py are told
export PAC_NS=$ns PAC_STATE=$state PAC_PG_BIN=$pg_bin
export PAC_ADDRS; PAC_ADDRS=$(for m in $machines; do printf '%s=%s ' "$m" "${addr[$m]}"; done)
# shellcheck source=tests/cluster/postgres.sh
. "$repo/tests/cluster/postgres.sh"

results=$(mktemp)
say() { echo "cluster: $*"; }
# result, run_test
# shellcheck source=tests/lib.sh
. "$repo/tests/lib.sh"

# The count (tests/lib.sh), and the exit status.
finish() {
	local rc=0
	count_results || rc=$?
	rm -f "$results"
	return "$rc"
}

# Not root: no namespaces, so no test ran, which is a failure, not a pass.
if [ "$(id -u)" -ne 0 ]; then
	echo "cluster: make test-cluster needs root: it builds its machines as network namespaces" >&2
	echo "cluster: (ip netns), which only root may create; run it as root (CI does)" >&2
	result "FAIL test_cluster: not run: needs root for ip netns"
	finish
	exit 1
fi
for p in ip redis-server redis-cli psql spawn-fcgi multiwatch lighttpd curl runuser openssl; do
	if ! command -v "$p" >/dev/null 2>&1; then
		result "FAIL test_cluster: not run: $p is not installed (scripts/deps.sh run test)"
		finish
		exit 1
	fi
done
if [ ! -x "$pg_bin/pg_ctl" ] || [ ! -x "$app" ]; then
	result "FAIL test_cluster: not run: no PostgreSQL server ($pg_bin) or no $app (make asan)"
	finish
	exit 1
fi

in_ns() { local m=$1; shift; ip netns exec "$ns-$m" "$@"; }
as_postgres() { runuser -u postgres -- "$@"; }
alive() { [ -n "${1:-}" ] && [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# ---- teardown: whatever ran in our namespaces, then the namespaces ----

torn=0
teardown() {
	local n pids
	[ "$torn" = 1 ] && return
	torn=1
	if [ -n "${current:-}" ]; then
		kill -TERM "$current" 2>/dev/null
		wait "$current" 2>/dev/null
	fi
	# The hosts first and gently: LeakSanitizer reports when a worker exits.
	for h in h1 h2; do
		[ -d "$state/$h/run" ] && ip netns list | grep -q "^$ns-$h\b" &&
			in_ns "$h" env STATE_DIR="$state/$h" "$stack" stop >/dev/null 2>&1
	done
	for n in $(cat "$state/namespaces" 2>/dev/null); do
		pids=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	done
	for n in $(cat "$state/namespaces" 2>/dev/null); do
		for _ in $(seq 1 50); do
			[ -z "$(ip netns pids "$n" 2>/dev/null)" ] && break
			sleep 0.1
		done
		ip netns del "$n" 2>/dev/null
	done
	rm -f "$state/namespaces"
}
trap 'teardown; finish; exit $?' EXIT
interrupted() {
	echo "cluster: interrupted" >&2
	[ -n "${out:-}" ] && [ -f "$out" ] && grep -E '^(PASS|FAIL) ' "$out" >> "$results"
	result "FAIL test_cluster: interrupted"
	exit 130
}
trap interrupted INT TERM

# A run cut short before its trap (SIGKILL) left its namespaces: they are
# listed in var/cluster/namespaces, ours; go through them before anything.
if [ -f "$state/namespaces" ]; then
	for n in $(cat "$state/namespaces"); do
		case $n in pac-*) ;; *) continue ;; esac
		pids=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		sleep 0.2
		ip netns del "$n" 2>/dev/null
	done
fi
for d in "$state"/p1 "$state"/p2; do
	if [ -L "$d" ]; then rm -rf "$(readlink -f "$d")"; fi
done
rm -rf "$state"
mkdir -p "$state/log" "$state/asan"
: > "$state/namespaces"

setup_failed() {
	result "CHECK FAILED cluster_started: $*"
	result "FAIL test_cluster: not run: the cluster did not start"
	exit 1
}

# ---- the network ----

add_ns() {
	ip netns add "$1" || setup_failed "ip netns add $1"
	echo "$1" >> "$state/namespaces"
	ip -n "$1" link set lo up
}

make_network() {
	add_ns "$ns-sw"
	ip -n "$ns-sw" link add br0 type bridge || setup_failed "no bridge"
	ip -n "$ns-sw" link set br0 up
	for m in $machines; do
		add_ns "$ns-$m"
		# one end in the switch, the other as eth0 of the machine: never in
		# this namespace
		ip -n "$ns-sw" link add "$m" type veth peer name eth0 netns "$ns-$m" ||
			setup_failed "veth for $m"
		ip -n "$ns-sw" link set "$m" master br0 up
		ip -n "$ns-$m" addr add "${addr[$m]}/24" dev eth0
		ip -n "$ns-$m" link set eth0 up
	done
}

# ---- secrets ----

secret() { (umask 077 && openssl rand -hex 24 > "$state/$1"); }

# ---- Redis and the Sentinels ----

redis_ping() { # MACHINE PORT
	REDISCLI_AUTH=$redis_pass in_ns lb redis-cli -h "${addr[$1]}" -p "$2" ping 2>/dev/null | grep -q PONG
}

start_redis() { # MACHINE [MASTER-MACHINE]
	local m=$1 of=${2:-} d=$state/$1
	mkdir -p "$d"
	cat > "$d/redis.conf" <<-EOF
	# The cluster test's Redis on $m (tests/cluster/run.sh).
	bind ${addr[$m]}
	port 6379
	requirepass $redis_pass
	# the replica's password for its master, and the master's for when a
	# failover makes it a replica
	masterauth $redis_pass
	dir $d
	pidfile $d/redis.pid
	logfile $d/redis.log
	daemonize yes
	save ""
	appendonly no
	maxmemory 128mb
	maxmemory-policy noeviction
	EOF
	[ -n "$of" ] && echo "replicaof ${addr[$of]} 6379" >> "$d/redis.conf"
	in_ns "$m" redis-server "$d/redis.conf" </dev/null || setup_failed "Redis on $m did not start"
	for _ in $(seq 1 100); do
		redis_ping "$m" 6379 && return 0
		sleep 0.1
	done
	setup_failed "Redis on $m does not answer; see $d/redis.log"
}

start_sentinel() { # MACHINE
	local m=$1 d=$state/$1
	mkdir -p "$d"
	# down-after 1 s and failover-timeout 3 s: the test waits for failovers
	cat > "$d/sentinel.conf" <<-EOF
	# The cluster test's Sentinel on $m (tests/cluster/run.sh); Sentinel
	# rewrites this file as it learns.
	bind ${addr[$m]}
	port 26379
	daemonize yes
	pidfile $d/sentinel.pid
	logfile $d/sentinel.log
	dir $d
	# The Sentinels share the data nodes' password: phoneauth sends it when
	# a Sentinel answers NOAUTH, and they use it among themselves.
	requirepass $redis_pass
	sentinel sentinel-pass $redis_pass
	sentinel monitor $master_name ${addr[r1]} 6379 2
	sentinel auth-pass $master_name $redis_pass
	sentinel down-after-milliseconds $master_name 1000
	sentinel failover-timeout $master_name 3000
	sentinel parallel-syncs $master_name 1
	EOF
	in_ns "$m" redis-server "$d/sentinel.conf" --sentinel </dev/null ||
		setup_failed "Sentinel on $m did not start"
}

# Each Sentinel knows the replica and the other two, and the quorum holds.
sentinels_ready() {
	local m out
	for m in s1 s2 s3; do
		out=$(REDISCLI_AUTH=$redis_pass in_ns lb redis-cli -h "${addr[$m]}" -p 26379 \
			sentinel ckquorum "$master_name" 2>/dev/null)
		case $out in "OK 3 usable"*) ;; *) return 1 ;; esac
		out=$(REDISCLI_AUTH=$redis_pass in_ns lb redis-cli -h "${addr[$m]}" -p 26379 \
			sentinel replicas "$master_name" 2>/dev/null)
		case $out in *"${addr[r2]}"*) ;; *) return 1 ;; esac
	done
}

# ---- PostgreSQL: tests/cluster/postgres.sh ----

# ---- the hosts ----

write_host_config() { # MACHINE
	local m=$1 d=$state/$1 first rest
	mkdir -p "$d"
	# each host asks its own nearest Sentinel first (here: any order)
	first=${addr[s1]}:26379
	rest=${addr[s2]}:26379,${addr[s3]}:26379
	[ "$m" = h2 ] && { first=${addr[s2]}:26379; rest=${addr[s1]}:26379,${addr[s3]}:26379; }
	(umask 077 && cat > "$d/phoneauth.conf" <<-EOF
	# The cluster test's host $m (tests/cluster/run.sh).
	base_path = /api
	redis_url = sentinel://:$redis_pass@$first,$rest/$master_name
	redis_prefix = phoneauth:
	postgres_url = postgresql://phoneauth:$pg_pass@${addr[p1]}:5432,${addr[p2]}:5432/phoneauth?target_session_attrs=read-write
	jwt_alg = HS256
	jwt_secret_file = $state/jwt.secret
	data_key_file = $state/data.key
	sms_driver = command
	sms_command = $state/sms-record.sh
	trusted_proxies = ${addr[lb]}
	otp_cooldown = 0
	otp_max_per_ip_hour = 100000000
	pbkdf2_iterations = 1000
	language = en
	EOF
	)
}

start_host() { # MACHINE
	local m=$1
	local env=(env STATE_DIR="$state/$m" HTTP_PORT=$http_port HTTP_BIND="${addr[$m]}" WORKERS=2
		APP_BIN="$app" PAC_HOST="$m"
		ASAN_OPTIONS="log_path=$state/asan/$m:detect_leaks=1:abort_on_error=0"
		UBSAN_OPTIONS="log_path=$state/asan/$m-ubsan:print_stacktrace=1:halt_on_error=1")
	[ -f "$repo/tests/lsan.supp" ] &&
		env+=(LSAN_OPTIONS="suppressions=$repo/tests/lsan.supp:print_suppressions=0")
	in_ns "$m" "${env[@]}" "$stack" restart-pool || setup_failed "the pool of $m did not start"
	in_ns "$m" "${env[@]}" "$stack" start-sender || setup_failed "the sender of $m did not start"
	in_ns "$m" "${env[@]}" "$stack" start-lighttpd || setup_failed "lighttpd of $m did not start"
}

host_answers() { # MACHINE
	in_ns lb curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
		"http://${addr[$1]}:$http_port/api/health" 2>/dev/null | grep -q 200
}

# ---- start ----

t0=$(date +%s)
say "machines: $machines (namespaces $ns-*)"
make_network
secret redis.pass; secret pg.pass; secret pg.superpass; secret repl.pass; secret jwt.secret
(umask 077 && openssl rand -hex 32 > "$state/data.key")	# every host seals with the same key
redis_pass=$(cat "$state/redis.pass")
pg_pass=$(cat "$state/pg.pass")
pg_superpass=$(cat "$state/pg.superpass")

say "Redis: master on r1, replica on r2, Sentinels on s1 s2 s3"
start_redis r1
start_redis r2 r1
for s in s1 s2 s3; do start_sentinel "$s"; done

say "PostgreSQL: primary on p1, synchronous standby on p2"
pg_primary p1 || setup_failed "the primary did not start"
pg_standby p2 p1 || setup_failed "the standby did not start"

# The SMS "provider": one line per message delivered, with the host whose
# sender ran it (a short line is one write, so two senders do not mix).
cat > "$state/sms-record.sh" <<EOF
#!/bin/sh
printf '%s %s %s %s\n' "\$PHONE" "\$CODE" "\$PURPOSE" "\${PAC_HOST:-?}" >> $state/sms-delivered.txt
EOF
chmod 755 "$state/sms-record.sh"
: > "$state/sms-delivered.txt"

say "hosts h1 and h2"
write_host_config h1
write_host_config h2
in_ns h1 "$app" -c "$state/h1/phoneauth.conf" migrate >"$state/log/migrate.log" 2>&1 ||
	{ cat "$state/log/migrate.log" >&2; setup_failed "migrate failed"; }
start_host h1
start_host h2
for _ in $(seq 1 150); do
	sentinels_ready && host_answers h1 && host_answers h2 && break
	sleep 0.2
done
sentinels_ready || setup_failed "the Sentinels do not agree on the master and its replica"
host_answers h1 && host_answers h2 || setup_failed "a host does not answer its health check"
result "CHECK ok cluster_started"
say "started in $(( $(date +%s) - t0 )) s"

workers_then=""
for h in h1 h2; do
	workers_then="$workers_then $(pgrep -P "$(head -n 1 "$state/$h/run/pool.pid")" | tr '\n' ' ')"
done

# ---- the tests ----

export PAC_MASTER=$master_name PAC_HTTP_PORT=$http_port PAC_APP_BIN=$app
export PAC_REDIS_PASSWORD=$redis_pass PAC_PG_SUPER_PASSWORD=$pg_superpass
export PAC_MAX_FAILED=3
out=$state/log/test_cluster.out
run_test test_cluster.py ip netns exec "$ns-lb" /usr/bin/python3 "$repo/tests/cluster/test_cluster.py"

# ---- the run's own checks ----

dead=
for w in $workers_then; do alive "$w" || dead="$dead $w"; done
if [ -n "$dead" ]; then
	result "CHECK FAILED workers_survived: worker(s)$dead died; see $state/h*/log/phoneauth.log"
else
	result "CHECK ok workers_survived"
fi
teardown
reports=$(find "$state/asan" -type f -size +0 2>/dev/null | sort)
if [ -z "$reports" ]; then
	result "CHECK ok no_sanitizer_reports"
else
	result "CHECK FAILED no_sanitizer_reports: $(echo "$reports" | wc -l) report(s) in $state/asan"
	for f in $reports; do echo "--- $f"; head -n 60 "$f"; done
fi
say "done in $(( $(date +%s) - t0 )) s; state and logs in $state"
exit 0	# the count: finish, from the trap
