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
    swift test --disable-swift-testing --sanitize="$sanitizer" --scratch-path "$scratch" "$@"
  result=$?
  echo "sanitize: $sanitizer: $([ $result -eq 0 ] && echo clean || echo "FAILED (exit $result)") in $(( $(date +%s) - start )) s"
  [ $result -eq 0 ] || status=1
done
exit $status
