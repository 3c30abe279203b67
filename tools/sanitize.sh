#!/usr/bin/env bash
# `make sanitize`: the whole test suite under ThreadSanitizer, then under AddressSanitizer (with LeakSanitizer),
# each in its own scratch path so the normal .build is untouched. Prints each run's time; fails if either fails.
#   SANITIZERS="thread address" (default) selects the runs; extra arguments go to `swift test` (e.g. --filter X).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for sanitizer in ${SANITIZERS:-thread address}; do
  case $sanitizer in
    thread) scratch=.build-tsan ;;
    address) scratch=.build-asan ;;
    *) echo "sanitize: unknown sanitizer '$sanitizer'" >&2; exit 2 ;;
  esac
  echo "sanitize: swift test --sanitize=$sanitizer (scratch path $scratch)"
  start=$(date +%s)
  # TSan prints every race and then fails the run (exit 66); ASan stops at the first error; LeakSanitizer
  # reports leaks at exit.
  DF11_SANITIZER=$sanitizer \
  TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1} \
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tools/lsan-suppressions.txt:print_suppressions=0} \
    swift test --disable-swift-testing --sanitize="$sanitizer" --scratch-path "$scratch" "$@" 2>&1 | tee "$scratch.log"
  result=${PIPESTATUS[0]}
  # LeakSanitizer checks the test runner at its exit too. Every direct leak it reports there is one of the false
  # positives tools/lsan-suppressions.txt explains; what hangs from them (XCTest's test cases and what they hold,
  # reached only through a suppressed weak-reference side table) it still prints as "indirect" leaks, and fails
  # the run. A real leak always has a direct root: with every test passed and no unsuppressed direct leak, the
  # run is clean. (The df11 processes the tests start are checked as before: a leak there fails its test.)
  if [ "$sanitizer" = address ] && [ $result -ne 0 ] && grep -q "ERROR: LeakSanitizer" "$scratch.log" \
     && ! grep -q "^Direct leak" "$scratch.log" && ! grep -q "ERROR: AddressSanitizer" "$scratch.log" \
     && grep -E "Executed [0-9]+ tests?, with" "$scratch.log" | tail -n 1 | grep -Eq "with ([0-9]+ tests? skipped and )?0 failures"; then
    echo "sanitize: LeakSanitizer reported only indirect leaks under suppressed roots ($(grep -c '^Indirect leak' "$scratch.log") reports, see $scratch.log): clean"
    result=0
  fi
  echo "sanitize: $sanitizer: $([ $result -eq 0 ] && echo clean || echo "FAILED (exit $result)") in $(( $(date +%s) - start )) s"
  [ $result -eq 0 ] || status=1
done
exit $status
