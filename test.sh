#!/usr/bin/env bash
# One command: install dependencies, run the whole test suite, print "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --test || exit 1
rm -rf TestResults
dotnet test tests/ImageSpace.Tests -c Release -nologo --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory TestResults
rc=$?
trx=TestResults/results.trx
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
