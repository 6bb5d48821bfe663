#!/usr/bin/env bash
# peers.sh - run the whole peers benchmark, each group at the iterations
# its cases need for a steady median: 50 per case and round for 5,000 keys
# (cases of 2-15 ms, where 20 iterations left cases that send the same
# statements 5-10% apart), 20 for 50,000 keys (where 5 and 10 left them
# 5-20% apart) and for the bulk delete and the cascade (cases of 5-75 ms,
# which spread by a fifth between rounds with 5), 5 for 500,000 keys,
# which take longest to restore. The 5,000-key groups run twice the rounds
# of the others, since their paired ratios (cases of 2-15 ms) spread most
# between rounds; with 5 rounds (10 for them) the whole run took 66
# minutes, about 15 of them at 5,000 keys.
#
# Usage, from anywhere (output on stdout, for bench/cmd/chart):
#
#   bash bench/peers.sh | tee peers.txt
#
# It reads what `go test -bench Peers` reads: TYPEDDELETE_POSTGRES_DSN,
# TYPEDDELETE_MYSQL_DSN and TYPEDDELETE_BENCH_ROUNDS (rounds per group, 10
# when unset; the 5,000-key groups run twice as many).
set -euo pipefail
cd "$(dirname "$0")"

rounds=${TYPEDDELETE_BENCH_ROUNDS:-10}

run() {
	TYPEDDELETE_BENCH_ROUNDS=${3:-$rounds} go test -run '^$' -bench "Peers(SQLite|Postgres|MySQL)/$1" -benchtime "$2" -timeout 3h .
}

run 'keys=5000$' 50x $((2 * rounds))
run 'keys=50000$' 20x
run 'keys=500000$' 5x
run '(bulk=.*|cascade=.*)$' 20x
