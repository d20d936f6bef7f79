#!/usr/bin/env bash
# `make test`: the suite on SQLite and on PostgreSQL side by side (one core each), and the container tests in
# SQLite's place once it is done.
# SQLite's output streams to the terminal; PostgreSQL's is kept in a log and printed whole once it ends, so the
# two never interleave. Branch coverage of app/ is measured in both runs, each for its share of the tests
# (--coverage-share), and reported combined. The exit code is
# that of a failure of any of the three runs; the total time is printed at the end. Arguments go to both pytest
# runs (`bash scripts/test-all.sh tests/test_home.py`); TEST_CONTAINERS=0 leaves the container tests out.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
LOGS=var/test-logs
mkdir -p "$LOGS"
rm -f .coverage .coverage.sqlite .coverage.postgresql
# Each Python process (pytest, every live server a test starts) otherwise compiles the portal and its libraries from
# source again when the environment forbids writing bytecode: keep the bytecode in a folder of our own instead.
export PYTHONDONTWRITEBYTECODE=
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$PWD/var/pycache}"
started=$SECONDS

COVERAGE=(--cov=app --cov-branch --cov-report= --coverage-share)

COVERAGE_FILE=.coverage.postgresql $BIN/python -m pytest -m "not container" --db=postgresql "${COVERAGE[@]}" "$@" \
  >"$LOGS/postgresql.log" 2>&1 &
postgresql_pid=$!

echo "== SQLite (PostgreSQL runs alongside; its output follows, and is in $LOGS/postgresql.log)"
COVERAGE_FILE=.coverage.sqlite $BIN/python -m pytest -m "not container" --db=sqlite "${COVERAGE[@]}" "$@" 2>&1 |
  tee "$LOGS/sqlite.log"
sqlite_status=${PIPESTATUS[0]}

# The container tests need no database of the suite's: they start as soon as SQLite is done, beside PostgreSQL's
# last minutes, and their output follows PostgreSQL's.
if [ "${TEST_CONTAINERS:-1}" = 1 ]; then
  $BIN/python -m pytest -m container >"$LOGS/containers.log" 2>&1 &
  containers_pid=$!
fi

wait "$postgresql_pid"
postgresql_status=$?
echo
echo "== PostgreSQL"
cat "$LOGS/postgresql.log"

echo
echo "== Branch coverage of app/ (SQLite and PostgreSQL runs combined)"
coverage_files=()
for file in .coverage.sqlite .coverage.postgresql; do [ -f "$file" ] && coverage_files+=("$file"); done
if ((${#coverage_files[@]})); then
  $BIN/python -m coverage combine --keep --quiet >/dev/null "${coverage_files[@]}" &&
    $BIN/python -m coverage report --sort=cover >"$LOGS/coverage.txt" &&
    echo "(the 15 files least covered, and the total; all in $LOGS/coverage.txt)" &&
    head -n 17 "$LOGS/coverage.txt" && grep "^TOTAL" "$LOGS/coverage.txt" &&
    echo && echo "Per domain:" && $BIN/python scripts/coverage_by_domain.py "$LOGS/coverage.json"
fi

container_status=0
if [ "${TEST_CONTAINERS:-1}" = 1 ]; then
  wait "$containers_pid"
  container_status=$?
  echo
  echo "== Containers (started once SQLite was done; in $LOGS/containers.log)"
  cat "$LOGS/containers.log"
fi

elapsed=$((SECONDS - started))
echo
printf "== SQLite: exit %s, PostgreSQL: exit %s, containers: exit %s; total %d min %02d s\n" \
  "$sqlite_status" "$postgresql_status" "$container_status" $((elapsed / 60)) $((elapsed % 60))
if ((sqlite_status != 0 || postgresql_status != 0 || container_status != 0)); then
  exit 1
fi
