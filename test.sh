#!/usr/bin/env bash
# One command: install dependencies, run the whole test suite, print "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --test || exit 1
rm -rf TestResults
mkdir -p TestResults
console=TestResults/console.log
dotnet test tests/ImageSpace.Tests -c Release -nologo --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory TestResults 2>&1 | tee "$console"
rc=${PIPESTATUS[0]}
trx=TestResults/results.trx
# CI keeps only the end of this output: repeat each failed test with its message and first stack lines here, so the
# failure is in that end even when the test ran early.
if grep -qE '^\s+Failed [A-Za-z]' "$console"; then
  echo
  echo "=== failed tests (repeated from above) ==="
  grep -E -A 30 '^\s+Failed [A-Za-z]' "$console" | grep -vE '^\s+Passed ' | cut -c1-400 | head -n 120
fi
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  total=$(get total); passed=$(get passed); failed=$(get failed); executed=$(get executed)
  skipped=$(( total - executed ))
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
else
  echo "0 passed, 1 failed"
  [ $rc -eq 0 ] && rc=1
fi
exit $rc
