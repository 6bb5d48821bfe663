#!/usr/bin/env bash
# tidb.sh - build, start and stop a local standalone TiDB server for the
# MySQL-compatible conformance tests.
#
# Usage: scripts/tidb.sh build|start|stop|status|dsn
#
#   build   Build tidb-server once from the Go module proxy (no git checkout,
#           no other downloads). A cold build takes roughly 7-15 minutes on two
#           cores; later runs find the cached binary and return at once.
#   start   Build if needed, start TiDB in the background on 127.0.0.1, wait
#           until it accepts connections, make sure database `test` exists and
#           print the DSN (stdout) for github.com/go-sql-driver/mysql.
#           Idempotent: if TiDB already answers, it only prints the DSN.
#   stop    Stop the server started by `start` (pid file).
#   status  Exit 0 and say so if the server answers, 1 otherwise.
#   dsn     Print the DSN.
#
# Progress goes to stderr and only the DSN to stdout, so
#     export TYPEDDELETE_TIDB_DSN="$(scripts/tidb.sh start)"
# works.
#
# Server: store unistore (embedded, single process), user root without
# password, database test. SQL port 4000, status port 10080, both bound to
# 127.0.0.1 only (override with TIDB_PORT / TIDB_STATUS_PORT).
#
# Cache (outside the work tree):
#   ${TYPEDDELETE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typeddelete}/tidb/
#     <version>/tidb-server   the binary (about 250 MiB)
#     run/                    data, config, logs and pid file of the server
#                             (tidb.toml, tidb.log, tidb-slow.log, tidb.pid,
#                             stdout.log, data/, tmp/)
# Delete run/ to start from an empty store; delete the whole tidb/ directory
# to rebuild. The Go module and build caches are the usual ones (go env).
#
# Build notes:
#   * TiDB is fetched as the Go module github.com/pingcap/tidb at an exact
#     pseudo-version, plus its parser, which upstream's go.mod replaces with
#     ./pkg/parser (a nested module, so the module zip lacks it and
#     `go install` refuses); the parser module is copied into place.
#   * pkg/util/hack/map_abi.go refuses at start-up any Go toolchain other
#     than go1.25 because it mirrors the runtime's swiss-map layout. Go 1.26
#     keeps that layout (internal/runtime/maps Map/table/groupsReference and
#     internal/abi Type/MapType are identical), so the copied source is
#     patched to also accept go1.26. Other Go releases are refused.
#
# Transaction size: the config file sets performance.txn-total-size-limit
# (TIDB_TXN_TOTAL_SIZE_LIMIT, bytes; it can only be set in the config file)
# (default here 8 MiB) so that tests can provoke a too-large transaction
# cheaply: INSERT/UPDATE fail with "Error 8004 (HY000): Transaction is too
# large, size: N", while DELETE fails with "Error 1105 (HY000): txn too large,
# size: N." (same cause, not mapped to 8004 by TiDB). With the default value
# 104857600 TiDB instead counts the buffered writes against the session's
# tidb_mem_quota_query (Error 8175). `SET tidb_mem_quota_query = 65536` in a
# session makes statements that read a few thousand rows fail with 8175.
# Changing the limit needs `stop` + `start`.

set -euo pipefail

# ---- versions ---------------------------------------------------------------
TIDB_VERSION="v8.5.6"
TIDB_MODULE="github.com/pingcap/tidb"
TIDB_MODULE_VERSION="v1.1.0-beta.0.20260413061245-ae18096e0237"
TIDB_COMMIT="ae18096e023780bb56bfce33698abec0d4640d0a"
PARSER_MODULE="github.com/pingcap/tidb/pkg/parser"
PARSER_MODULE_VERSION="v0.0.0-20260331085336-4e0b702f38a8"

# ---- settings ---------------------------------------------------------------
HOST="127.0.0.1"
PORT="${TIDB_PORT:-4000}"
STATUS_PORT="${TIDB_STATUS_PORT:-10080}"
START_TIMEOUT="${TIDB_START_TIMEOUT:-60}"
TXN_TOTAL_SIZE_LIMIT="${TIDB_TXN_TOTAL_SIZE_LIMIT:-8388608}" # 8 MiB
DATABASE="test"

CACHE_ROOT="${TYPEDDELETE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typeddelete}/tidb"
BIN_DIR="$CACHE_ROOT/$TIDB_VERSION"
BIN="$BIN_DIR/tidb-server"
RUN_DIR="$CACHE_ROOT/run"
PID_FILE="$RUN_DIR/tidb.pid"
CONFIG_FILE="$RUN_DIR/tidb.toml"

DSN="root@tcp($HOST:$PORT)/$DATABASE"

say() { printf 'tidb.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- tools --------------------------------------------------------------------
find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [ -x /usr/local/go/bin/go ]; then
		echo /usr/local/go/bin/go
	else
		die "go not found (need Go 1.25 or 1.26)"
	fi
}

find_client() {
	local c
	for c in mariadb mysql; do
		if command -v "$c" >/dev/null 2>&1; then
			command -v "$c"
			return 0
		fi
	done
	die "no mariadb or mysql client found"
}

# sql <statement>: run one statement as root, batch output without headers.
sql() {
	"$(find_client)" --protocol=TCP -h "$HOST" -P "$PORT" -uroot \
		--connect-timeout=2 -N -B -e "$1" 2>/dev/null
}

# ---- build ----------------------------------------------------------------------
# module_dir <module@version>: download (verified against go.sum / sumdb) into
# the module cache and print its directory.
module_dir() {
	local go="$1" mod="$2" out dir
	out="$(cd "$WORK" && GOFLAGS=-mod=mod GO111MODULE=on GOWORK=off \
		"$go" mod download -json "$mod")" || die "go mod download $mod failed"
	dir="$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	[ -n "$dir" ] && [ -d "$dir" ] || die "no module directory for $mod"
	printf '%s\n' "$dir"
}

do_build() {
	if [ -x "$BIN" ]; then
		say "using cached $BIN"
		return 0
	fi
	mkdir -p "$BIN_DIR"
	# Serialise concurrent builds (e.g. parallel CI jobs sharing a cache).
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$BIN_DIR/build.lock"
		flock -n 9 || { say "another build is running; waiting for it"; flock 9; }
		if [ -x "$BIN" ]; then
			say "using cached $BIN"
			return 0
		fi
	fi

	local go gover src tidb_dir parser_dir abi start
	go="$(find_go)"
	gover="$("$go" env GOVERSION)"
	case "$gover" in
	go1.25 | go1.25.* | go1.26 | go1.26.*) ;;
	*) die "TiDB $TIDB_VERSION needs Go 1.25 or 1.26, found $gover" ;;
	esac
	start="$(date +%s)"
	say "building TiDB $TIDB_VERSION with $gover into $BIN"

	WORK="$BIN_DIR/build.tmp"
	rm -rf "$WORK"
	mkdir -p "$WORK"
	src="$WORK/src"

	say "downloading $TIDB_MODULE@$TIDB_MODULE_VERSION"
	tidb_dir="$(module_dir "$go" "$TIDB_MODULE@$TIDB_MODULE_VERSION")"
	say "downloading $PARSER_MODULE@$PARSER_MODULE_VERSION"
	parser_dir="$(module_dir "$go" "$PARSER_MODULE@$PARSER_MODULE_VERSION")"

	say "preparing sources in $src"
	cp -R "$tidb_dir" "$src"
	chmod -R u+w "$src"
	rm -rf "$src/pkg/parser"
	cp -R "$parser_dir" "$src/pkg/parser"
	chmod -R u+w "$src/pkg/parser"

	abi="$src/pkg/util/hack/map_abi.go"
	if [ "${gover#go1.26}" != "$gover" ]; then
		say "patching $(basename "$abi") to accept go1.26 (same map layout as go1.25)"
		sed -i 's/!strings.Contains(runtime.Version(), `go1.25`)/!strings.Contains(runtime.Version(), `go1.25`) \&\& !strings.Contains(runtime.Version(), `go1.26`)/' "$abi"
		grep -q '`go1.26`' "$abi" || die "could not patch $abi"
	fi

	say "downloading dependencies"
	(cd "$src" && GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off GOTOOLCHAIN=local \
		"$go" mod download) || die "downloading dependencies failed"

	say "compiling ./cmd/tidb-server (7-15 minutes on 2 cores; go build cache is reused)"
	local pkg="github.com/pingcap/tidb/pkg"
	local ldflags
	ldflags="-X '$pkg/parser/mysql.TiDBReleaseVersion=$TIDB_VERSION'"
	ldflags="$ldflags -X '$pkg/util/versioninfo.TiDBGitHash=$TIDB_COMMIT'"
	ldflags="$ldflags -X '$pkg/util/versioninfo.TiDBBuildTS=$(date -u '+%Y-%m-%d %H:%M:%S')'"
	ldflags="$ldflags -X '$pkg/util/versioninfo.TiDBGitBranch=$TIDB_MODULE_VERSION'"
	(cd "$src" && CGO_ENABLED=1 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off GOTOOLCHAIN=local \
		"$go" build -tags codes -ldflags "$ldflags" -o "$BIN.tmp" ./cmd/tidb-server) ||
		die "go build failed (sources kept in $src)"
	mv -f "$BIN.tmp" "$BIN"
	rm -rf "$WORK"
	say "built $BIN in $(($(date +%s) - start)) s"
}

# ---- run ----------------------------------------------------------------------
running_pid() {
	local pid
	[ -f "$PID_FILE" ] || return 1
	pid="$(cat "$PID_FILE" 2>/dev/null || true)"
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a recycled pid.
	grep -q tidb-server "/proc/$pid/cmdline" 2>/dev/null || [ ! -d /proc ] || return 1
	printf '%s\n' "$pid"
}

answers() {
	sql "SELECT tidb_version()" >/dev/null
}

write_config() {
	cat >"$CONFIG_FILE" <<EOF
# Generated by scripts/tidb.sh; rewritten on every start.
temp-dir = "$RUN_DIR/tmp"
tmp-storage-path = "$RUN_DIR/tmp/storage"
socket = ""

[log]
level = "warn"
slow-query-file = "$RUN_DIR/tidb-slow.log"

[log.file]
filename = "$RUN_DIR/tidb.log"

[status]
report-status = true

[performance]
# Only settable here. A value other than the default (104857600) turns the
# classic limit back on: a transaction whose buffered writes exceed it fails
# with "Error 8004 Transaction is too large".
txn-total-size-limit = $TXN_TOTAL_SIZE_LIMIT
EOF
}

wait_ready() {
	local pid="$1" deadline
	deadline=$(($(date +%s) + START_TIMEOUT))
	until answers; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$RUN_DIR/stdout.log" "$RUN_DIR/tidb.log" >&2 2>/dev/null || true
			die "tidb-server exited during start-up (logs in $RUN_DIR)"
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			die "TiDB did not answer on $HOST:$PORT within ${START_TIMEOUT}s (logs in $RUN_DIR)"
		fi
		sleep 0.5
	done
}

ensure_database() {
	sql "CREATE DATABASE IF NOT EXISTS \`$DATABASE\`" >/dev/null ||
		die "could not create database $DATABASE"
}

# check_limit: warn when the running server was started with another
# txn-total-size-limit than the one asked for now.
check_limit() {
	local have
	have="$(sql "SHOW CONFIG WHERE type = 'tidb' AND name = 'performance.txn-total-size-limit'" |
		awk 'NR == 1 { print $NF }')" || true
	if [ -n "$have" ] && [ "$have" != "$TXN_TOTAL_SIZE_LIMIT" ]; then
		say "warning: running server has txn-total-size-limit=$have, not $TXN_TOTAL_SIZE_LIMIT; run stop and start to change it"
	fi
}

do_start() {
	local pid
	if pid="$(running_pid)"; then
		say "already running (pid $pid)"
		wait_ready "$pid"
		ensure_database
		check_limit
		printf '%s\n' "$DSN"
		return 0
	fi
	if answers; then
		# Something answers without our pid file: accept it only if it is TiDB.
		sql "SELECT tidb_version()" | grep TiDB >/dev/null ||
			die "port $PORT is taken by a server that is not TiDB"
		say "a TiDB server already answers on $HOST:$PORT (not started by this script)"
		ensure_database
		printf '%s\n' "$DSN"
		return 0
	fi

	do_build
	mkdir -p "$RUN_DIR/data" "$RUN_DIR/tmp"
	write_config
	say "starting TiDB on $HOST:$PORT (status $HOST:$STATUS_PORT), data in $RUN_DIR/data"
	(
		cd "$RUN_DIR"
		exec setsid "$BIN" \
			-config "$CONFIG_FILE" \
			-store unistore -path "$RUN_DIR/data" \
			-host "$HOST" -P "$PORT" \
			-status-host "$HOST" -status "$STATUS_PORT" \
			</dev/null >>"$RUN_DIR/stdout.log" 2>&1
	) &
	pid=$!
	printf '%s\n' "$pid" >"$PID_FILE"
	wait_ready "$pid"
	ensure_database
	say "ready (pid $pid): $(sql 'SELECT version()')"
	printf '%s\n' "$DSN"
}

do_stop() {
	local pid i
	if ! pid="$(running_pid)"; then
		rm -f "$PID_FILE"
		say "not running"
		return 0
	fi
	say "stopping pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "still running after 30 s, killing"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$PID_FILE"
	say "stopped"
}

do_status() {
	local pid
	if answers; then
		pid="$(running_pid || echo "?")"
		say "running (pid $pid) on $HOST:$PORT: $(sql 'SELECT version()')"
		return 0
	fi
	say "not running"
	return 1
}

case "${1:-}" in
build) do_build ;;
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
dsn) printf '%s\n' "$DSN" ;;
*)
	echo "usage: $0 build|start|stop|status|dsn" >&2
	exit 2
	;;
esac
