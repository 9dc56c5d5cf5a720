#!/bin/bash
# tests/cluster/postgres.sh — the PostgreSQL machines of the cluster test,
# what an operator (or Patroni) does to them. Sourced by run.sh, and run by
# test_cluster.py to rebuild a standby after a switchover:
#
#   postgres.sh primary M            initdb, start, roles and database on M
#   postgres.sh standby M PRIMARY    M (its processes killed, its data
#                                    wiped) a fresh standby of PRIMARY,
#                                    made synchronous there
#   postgres.sh promote M            pg_ctl promote on M
#
# Environment (from run.sh): PAC_NS (the namespaces' prefix), PAC_STATE,
# PAC_ADDRS ("p1=10.213.0.31 ..."), PAC_PG_BIN. Passwords: PAC_STATE/*.pass.
# As root only: PostgreSQL runs as the postgres user (runuser), never root.

pg_ns=${PAC_NS:?}
pg_state=${PAC_STATE:?}
pg_bin=${PAC_PG_BIN:?}
declare -A pg_addr
for item in ${PAC_ADDRS:?}; do pg_addr[${item%%=*}]=${item#*=}; done

pg_fail() { echo "postgres.sh: $*" >&2; return 1; }
pg_in() { local m=$1; shift; ip netns exec "$pg_ns-$m" "$@"; }
pg_as_postgres() { runuser -u postgres -- "$@"; }

# The directory of M's cluster, made, owned by postgres. When postgres
# cannot reach PAC_STATE (a checkout under /root), it lives under /var/tmp
# and PAC_STATE/M is a symlink to it.
pg_home() {
	local m=$1 d
	if [ -L "$pg_state/$m" ] || [ -d "$pg_state/$m" ]; then
		d=$(readlink -f "$pg_state/$m")
	elif runuser -u postgres -- test -x "$pg_state" 2>/dev/null; then
		d=$pg_state/$m
	else
		d=/var/tmp/phoneauth-cluster-$(echo "$pg_state" | md5sum | cut -c1-12)-$m
		rm -rf "$d"
		ln -s "$d" "$pg_state/$m"
	fi
	mkdir -p "$d"
	chown postgres: "$d"
	chmod 700 "$d"
	echo "$d"
}

pg_start() { # MACHINE HOME
	pg_in "$1" runuser -u postgres -- "$pg_bin/pg_ctl" -D "$2/data" -l "$2/postgresql.log" -w -t 60 \
		-o "-p 5432 -c listen_addresses=${pg_addr[$1]} -c unix_socket_directories=''" \
		start </dev/null >/dev/null ||
		{ tail -n 20 "$2/postgresql.log" >&2; pg_fail "PostgreSQL on $1 did not start"; }
	ln -sfn "$2/postgresql.log" "$pg_state/log/postgresql-$1.log"
}

# psql as the superuser, from the load balancer's machine.
pg_super() { # MACHINE PSQL-ARGS...
	local m=$1
	shift
	PGPASSWORD=$(cat "$pg_state/pg.superpass") pg_in lb psql -X -q -A -t -v ON_ERROR_STOP=1 \
		-h "${pg_addr[$m]}" -p 5432 -U postgres -d postgres "$@"
}

pg_primary() { # MACHINE
	local m=$1 home
	home=$(pg_home "$m")
	pg_as_postgres sh -c "umask 077 && cat > '$home/pwfile'" < "$pg_state/pg.superpass"
	pg_as_postgres "$pg_bin/initdb" -D "$home/data" -U postgres --pwfile="$home/pwfile" \
		--auth=scram-sha-256 --encoding=UTF8 --locale=C >"$pg_state/log/initdb.log" 2>&1 ||
		pg_fail "initdb failed; see $pg_state/log/initdb.log" || return 1
	rm -f "$home/pwfile"
	pg_as_postgres sh -c "cat >> '$home/data/postgresql.conf'" <<-EOF

	# ---- the cluster test (tests/cluster/postgres.sh) ----
	wal_level = replica
	max_wal_senders = 5
	hot_standby = on
	# A commit returns once the standby has it on disk (synchronous_commit
	# = on, with synchronous_standby_names, set on the primary once its
	# standby streams): a failover loses nothing that was answered.
	synchronous_commit = on
	# A standby whose primary died retries the stream every
	# wal_retrieve_retry_interval (5 s by default) and, in PostgreSQL 15,
	# notices a promote only when that wait ends.
	wal_retrieve_retry_interval = 200ms
	EOF
	pg_as_postgres sh -c "cat > '$home/data/pg_hba.conf'" <<-EOF
	# the cluster test: only its own network, only with a password
	host all         all        10.213.0.0/24 scram-sha-256
	host replication replicator 10.213.0.0/24 scram-sha-256
	EOF
	pg_start "$m" "$home" || return 1
	printf "\\set pw '%s'\n\\set rpw '%s'\n%s\n%s\n" "$(cat "$pg_state/pg.pass")" \
		"$(cat "$pg_state/repl.pass")" \
		"CREATE ROLE phoneauth LOGIN PASSWORD :'pw';" \
		"CREATE ROLE replicator REPLICATION LOGIN PASSWORD :'rpw';" | pg_super "$m" ||
		pg_fail "cannot create the roles" || return 1
	pg_super "$m" -c "CREATE DATABASE phoneauth OWNER phoneauth" || pg_fail "no database"
}

pg_replication_state() { # PRIMARY STANDBY
	pg_super "$1" -c "SELECT state || ' ' || sync_state FROM pg_stat_replication WHERE application_name = '$2'"
}

pg_standby() { # MACHINE PRIMARY
	local m=$1 of=$2 home pids
	pids=$(ip netns pids "$pg_ns-$m" 2>/dev/null)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	for _ in $(seq 1 100); do
		[ -z "$(ip netns pids "$pg_ns-$m" 2>/dev/null)" ] && break
		sleep 0.05
	done
	home=$(pg_home "$m")
	rm -rf "$home/data"
	pg_as_postgres sh -c "umask 077 && cat > '$home/pgpass'" <<-EOF
	${pg_addr[$of]}:5432:replication:replicator:$(cat "$pg_state/repl.pass")
	EOF
	pg_in "$m" runuser -u postgres -- env PGPASSFILE="$home/pgpass" "$pg_bin/pg_basebackup" \
		-h "${pg_addr[$of]}" -p 5432 -U replicator -D "$home/data" -X stream -R -c fast \
		>"$pg_state/log/basebackup-$m.log" 2>&1 ||
		pg_fail "pg_basebackup failed; see $pg_state/log/basebackup-$m.log" || return 1
	# -R wrote standby.signal. Ours: the connection, named after the
	# standby for synchronous_standby_names; and no synchronous standby of
	# its own, so that once promoted it commits alone until one is rebuilt.
	pg_as_postgres sh -c "cat >> '$home/data/postgresql.auto.conf'" <<-EOF
	primary_conninfo = 'host=${pg_addr[$of]} port=5432 user=replicator passfile=$home/pgpass application_name=$m'
	synchronous_standby_names = ''
	EOF
	pg_start "$m" "$home" || return 1
	for _ in $(seq 1 100); do
		[ "$(pg_replication_state "$of" "$m")" = "streaming async" ] && break
		sleep 0.1
	done
	[ "$(pg_replication_state "$of" "$m")" = "streaming async" ] ||
		pg_fail "the standby $m does not stream from $of" || return 1
	pg_super "$of" -c "ALTER SYSTEM SET synchronous_standby_names = '$m'" \
		-c "SELECT pg_reload_conf()" >/dev/null || pg_fail "cannot make $m synchronous" || return 1
	for _ in $(seq 1 50); do
		[ "$(pg_replication_state "$of" "$m")" = "streaming sync" ] && return 0
		sleep 0.1
	done
	pg_fail "the standby $m is not synchronous"
}

pg_promote() { # MACHINE
	pg_in "$1" runuser -u postgres -- "$pg_bin/pg_ctl" -D "$(pg_home "$1")/data" -w -t 30 promote \
		>/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-} in
	primary) pg_primary "$2" ;;
	standby) pg_standby "$2" "$3" ;;
	promote) pg_promote "$2" ;;
	*) echo "usage: $0 primary M | standby M PRIMARY | promote M" >&2; exit 2 ;;
	esac
fi
