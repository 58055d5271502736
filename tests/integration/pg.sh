# tests/integration/pg.sh - a throwaway PostgreSQL 15 cluster for tests
# (../shared/PEERS.md): initdb and pg_ctl under $T/pg on a free loopback
# port, trust authentication, fsync off, stopped at exit.  Source it after
# lib.sh.  initdb refuses to run as root: as root the cluster runs as the
# user postgres (Debian's package creates it), which owns $T/pg.
#
#   pg_available          -- 0 when the server binaries are installed
#   pg_need               -- skip the test (exit 0) unless they are
#   pg_begin              -- a test's preamble: pg_need, pg_start or fail
#                            the test (exit 1), cd "$T"
#   pg_start              -- start it; sets PG_PORT, PG_DIR, PG_URL
#                            (postgresql://postgres@127.0.0.1:PORT/herald)
#   pg_createdb NAME      -- a fresh database
#   pg_psql DB SQL        -- one query, unaligned, tuples only
#   pg_stop / pg_restart  -- fast stop / start again on the same port

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_DIR=$T/pg
PG_PORT=
PG_URL=

pg_available() {
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] &&
	    [ -x "$PG_BIN/psql" ] && { [ "$(id -u)" -ne 0 ] || id postgres >/dev/null 2>&1; }
}

pg_need() {
	if ! pg_available; then
		echo "1..0 # SKIP PostgreSQL server binaries not installed (postgresql)"
		exit 0
	fi
}

pg_begin() {
	pg_need
	if ! pg_start; then
		not_ok "PostgreSQL starts" "$(cat "$T"/pg-*.log "$PG_DIR/pg.log" 2>/dev/null | tail -20)"
		done_testing
		exit 1
	fi
	cd "$T" || exit 1
}

_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

_pg_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pg_start() {
	PG_PORT=$(_pg_free_port)
	mkdir -p "$PG_DIR/sock"
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$T"
		chown -R postgres:postgres "$PG_DIR"
	fi
	_pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 \
	    --locale=C.UTF-8 --no-sync >"$T/pg-initdb.log" 2>&1 || return 1
	pg_restart || return 1
	pg_createdb herald || return 1
	PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/herald"
}

pg_restart() {
	# -w -t 30: pg_ctl's own bounded wait for the server to accept.
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 30 \
	    start -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/sock -c fsync=off" \
	    >"$T/pg-ctl.log" 2>&1
}

pg_createdb() {
	_pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1"
}

pg_psql() {
	"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" \
	    -c "$2"
}

pg_stop() {
	[ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop \
	    >/dev/null 2>&1
}

_pg_cleanup() {
	pg_stop
	_lib_cleanup
}
trap _pg_cleanup EXIT
