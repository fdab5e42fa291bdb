#!/usr/bin/env bash
# strata's whole set-up, for a newcomer on a fresh Debian 12 machine and for CI.
#
#   ./run.sh test       install what is missing, build, run every test and example
#   ./run.sh demo       same set-up, then run the main example
#   ./run.sh bench      build and run the benchmarks (Google Benchmark)
#   ./run.sh sanitize   build the tests with AddressSanitizer + UBSan in build-asan/ and run them
#   ./run.sh fuzz [S]   build the libFuzzer targets with clang in build-fuzz/ and run each for S
#                       seconds (default 60)
#   ./run.sh realworld  run ../shared/realworld/check.sh (models made by other people) on the build
#
# The last line of `test` is "N passed, N failed" (Catch2 test cases plus example runs).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ meson ninja-build pkg-config
  xtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
  libfmt-dev nlohmann-json3-dev catch2 libbenchmark-dev zlib1g-dev libzip-dev libhdf5-dev dataset-fashion-mnist
  python3-numpy python3-h5py libopenmpi-dev openmpi-bin)
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

install_missing() {  # install_missing [extra packages...]
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing packages; run as root:"
    echo "  apt-get install -y ${missing[*]}"
    exit 1
  fi
}

configure() {  # configure [dir] [meson options...]
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --wrap-mode=nodownload "$@" >/dev/null
  fi
}

build() {  # build dir
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  ninja -C "$1" -j "$jobs" | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Linking|Generating)|^ninja: Entering' || true
  ninja -C "$1" -j "$jobs" >/dev/null  # fail here if the build failed
}

# Open MPI on one machine, as CI runs it: as root, more ranks than cores, shared memory.
mpi_env() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
}

# The MPI tests (tests/distributed/test_mpi.cpp) under `mpirun -np N`, each run under a timeout
# (a rank that throws while the others wait in a collective would hang). Each rank writes its
# own Catch2 report; a run passes when every rank's does. Adds to the caller's passed/failed.
run_mpi_tests() {
  local dir=$1 np out summary status
  [ -x "$dir/tests/strata_mpi_tests" ] || return 0
  mpi_env
  for np in 2 3; do
    out="$dir/mpi-np$np"
    rm -f "$out"-rank*.txt
    set +e
    STRATA_MPI_OUT="$out" timeout 600 mpirun -np "$np" "$dir/tests/strata_mpi_tests" --order decl >"$out-mpirun.txt" 2>&1
    status=$?
    set -e
    local ranks_ok=yes r
    for ((r = 0; r < np; r++)); do
      grep -q 'All tests passed' "$out-rank$r.txt" 2>/dev/null || ranks_ok=no
    done
    summary=$(grep -E 'All tests passed|test cases:' "$out-rank0.txt" 2>/dev/null | tail -n 1 || true)
    if [ "$status" -eq 0 ] && [ "$ranks_ok" = yes ] &&
      [[ $summary =~ All\ tests\ passed.*\ ([0-9]+)\ test\ case ]]; then
      echo "mpi tests, $np ranks: ${BASH_REMATCH[1]} test cases passed on every rank"
      passed=$((passed + BASH_REMATCH[1]))
    else
      echo "mpi tests, $np ranks: FAILED (exit status $status); see $out-rank*.txt and $out-mpirun.txt"
      for ((r = 0; r < np; r++)); do tail -n 30 "$out-rank$r.txt" 2>/dev/null || true; done
      tail -n 20 "$out-mpirun.txt"
      failed=$((failed + 1))
    fi
  done
}

# Runs the Catch2 binary and every example; prints "N passed, N failed".
run_tests() {
  local dir=$1 examples=$2 passed=0 failed=0 summary
  local log="$dir/test-output.txt"
  set +e
  "$dir/tests/strata_tests" --order decl >"$log" 2>&1
  local status=$?
  set -e
  tail -n 40 "$log" | grep -vE '^$' | tail -n 25
  summary=$(grep -E 'All tests passed|test cases:' "$log" | tail -n 1)
  if [[ $summary =~ All\ tests\ passed.*\ ([0-9]+)\ test\ case ]]; then
    passed=$((passed + BASH_REMATCH[1]))
  elif [[ $summary =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ passed\ \|\ +([0-9]+)\ failed ]]; then
    passed=$((passed + BASH_REMATCH[2]))
    failed=$((failed + BASH_REMATCH[3]))
  else
    echo "strata_tests did not finish (exit status $status); see $log"
    failed=$((failed + 1))
  fi
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  run_mpi_tests "$dir"
  if [ "$examples" = yes ]; then
    # The examples and their small CI settings are listed once, in examples/meson.build.
    set +e
    meson test -C "$dir" --suite examples --no-rebuild --num-processes 1 --print-errorlogs \
      >"$dir/example-output.txt" 2>&1
    set -e
    local line name result found=0
    while read -r line; do
      if [[ $line =~ example_([A-Za-z0-9_]+)\ +([A-Z]+) ]]; then
        name=${BASH_REMATCH[1]} result=${BASH_REMATCH[2]} found=$((found + 1))
        if [ "$result" = OK ]; then
          echo "example $name: ok"
          passed=$((passed + 1))
        else
          echo "example $name: FAILED ($result)"
          failed=$((failed + 1))
        fi
      fi
    done < <(grep -E '^ *[0-9]+/[0-9]+ ' "$dir/example-output.txt")
    if [ "$found" -eq 0 ]; then
      echo "examples: none ran; see $dir/example-output.txt"
      failed=$((failed + 1))
    fi
    if grep -qE '^Fail: +[1-9]|^Timeout: +[1-9]' "$dir/example-output.txt"; then
      sed -n '/Listing only the last/,$p' "$dir/example-output.txt" | tail -n 40
    fi
    if install_check "$dir"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    # The layout rules: the include graph follows DESIGN.md's chain, no file passes 600 lines,
    # every public op has a gradcheck row.
    if python3 tests/structure/check_structure.py; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# `meson install` into a staging folder, then build and run a user's project that finds strata
# through pkg-config (tests/install). Prints ok/FAILED; returns non-zero on failure.
install_check() {
  local stage="$PWD/$1/install-stage" consumer="$PWD/$1/install-consumer" pc
  rm -rf "$stage" "$consumer"
  if ! meson install -C "$1" --destdir "$stage" >/dev/null 2>&1; then
    echo "install: FAILED (meson install)"
    return 1
  fi
  pc=$(dirname "$(find "$stage" -name strata.pc | head -n 1)")
  if PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_PATH="$pc" meson setup "$consumer" tests/install >/dev/null 2>&1 &&
    ninja -C "$consumer" >/dev/null 2>&1 &&
    LD_LIBRARY_PATH="$stage${pc%/pkgconfig}" "$consumer/consumer"; then
    echo "install: ok (dependency('strata') from an installed copy)"
  else
    echo "install: FAILED (a project using the installed strata did not build or run)"
    return 1
  fi
  # The installed tool runs from the staged prefix with no library path set (its RUNPATH).
  local tool
  tool=$(find "$stage" -path '*/bin/strata' -type f | head -n 1)
  if [ -z "$tool" ] || ! env -u LD_LIBRARY_PATH "$tool" --help >/dev/null 2>&1; then
    echo "install: FAILED (the installed strata tool does not run without LD_LIBRARY_PATH)"
    return 1
  fi
}

# The README's tour must be examples/api_tour.cpp verbatim.
check_readme_tour() {
  local tour
  tour=$(awk '/<!-- tour:begin -->/{f=1;next}/<!-- tour:end -->/{f=0}f' README.md | sed '1d;$d')
  if [ "$tour" != "$(cat examples/api_tour.cpp)" ]; then
    echo "README.md's API tour differs from examples/api_tour.cpp"
    return 1
  fi
}

cmd=${1:-test}
case "$cmd" in
  test)
    install_missing
    configure build
    build build
    check_readme_tour
    run_tests build yes
    ;;
  demo)
    install_missing
    configure build
    build build
    # Fashion-MNIST, 784-512-256-10 MLP, 5 epochs; writes history.csv and history.svg here.
    ./build/examples/fashion_mnist_mlp --epochs 5 "${@:2}"
    ;;
  bench)
    install_missing
    configure build
    meson configure build -Dbenchmarks=enabled >/dev/null
    build build
    for b in build/tests/bench/bench_*; do
      [ -x "$b" ] || continue
      echo "== $b"
      if [ "$(basename "$b")" = bench_distributed ]; then  # data-parallel: 2 ranks, one thread each
        mpi_env
        unset OMPI_MCA_btl_vader_single_copy_mechanism  # Open MPI's default (single-copy) transfers
        mpirun -np 2 "$b" "${@:2}"
      else
        "$b" --benchmark_min_time=0.2 "${@:2}"
      fi
    done
    ;;
  sanitize)
    install_missing
    # -O1 with line tables only (-g1): what the sanitizers need for exact reports, and half the
    # build time of -O2 -g. (gcc's -Wmaybe-uninitialized misfires in Catch2 and libstdc++ under
    # the sanitizers.)
    asan_options=(-Db_sanitize=address,undefined -Dbuildtype=plain -Doptimization=1 -Ddebug=false
      -Dnative=false -Dexamples=false -Dbenchmarks=disabled -Dmpi=disabled "-Dcpp_args=-g1 -Wno-maybe-uninitialized")
    configure build-asan "${asan_options[@]}"
    meson configure build-asan "${asan_options[@]}" >/dev/null  # an older build-asan/ gets them too
    build build-asan
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    run_tests build-asan no
    ;;
  tsan)
    # ThreadSanitizer over the tests that run strata on several threads ([threads]: the split
    # loops, concurrent first builds, predict from many threads; the optimizer and loader
    # thread tests). OpenBLAS is not instrumented, so its own threads are not checked.
    install_missing
    tsan_options=(-Db_sanitize=thread -Dbuildtype=plain -Doptimization=1 -Ddebug=false -Dnative=false
      -Dexamples=false -Dbenchmarks=disabled -Dmpi=disabled "-Dcpp_args=-g1 -Wno-maybe-uninitialized")
    configure build-tsan "${tsan_options[@]}"
    meson configure build-tsan "${tsan_options[@]}" >/dev/null
    meson compile -C build-tsan tests/strata_tests
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
    set +e
    build-tsan/tests/strata_tests "[threads]" >build-tsan/tsan-output.txt 2>&1
    status=$?
    set -e
    tail -n 30 build-tsan/tsan-output.txt
    if [ "$status" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
    ;;
  fuzz)
    install_missing "${FUZZ_PACKAGES[@]}"
    seconds=${2:-60}
    CC=clang CXX=clang++ configure build-fuzz -Dfuzzing=true -Dtests=false -Dexamples=false -Dbenchmarks=disabled \
      -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized -Dnative=false -Dmpi=disabled
    build build-fuzz
    passed=0 failed=0
    for target in model_json tfjs npy strata_archive weights_h5; do
      mkdir -p "build-fuzz/corpus/$target" build-fuzz/artifacts
      log="build-fuzz/fuzz_$target.log"
      if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "build-fuzz/tests/fuzz/fuzz_$target" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/artifacts/$target-" \
        "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
        echo "fuzz $target: ok ($(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds}s)"
        passed=$((passed + 1))
      else
        echo "fuzz $target: FAILED (see $log)"
        grep -E 'ERROR|SUMMARY|uncaught|==[0-9]+==' "$log" | head -n 5
        failed=$((failed + 1))
      fi
    done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    ;;
  realworld)
    install_missing
    configure build
    build build
    corpus=${REALWORLD:-../shared/realworld}
    if [ ! -x "$corpus/check.sh" ]; then
      echo "no real-world corpus at $corpus (set REALWORLD=DIR)"
      exit 2
    fi
    "$corpus/check.sh" build/strata "${@:2}"
    ;;
  *)
    echo "usage: ./run.sh {test|demo|bench|sanitize|tsan|fuzz|realworld}"
    exit 2
    ;;
esac
