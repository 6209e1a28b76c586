#!/usr/bin/env bash
# The side-by-side comparison of taskflow4j with TaskFlow 5 and Spring Batch, in one command.
#
#   taskflow4j-bench/compare.sh [--quick] [other options of io.taskflow4j.bench.compare.Compare]
#
# Builds the benchmark jar, installs Debian's python3-taskflow when TaskFlow is missing (as root,
# with apt-get), runs every measurement, prints the table and writes the numbers as JSON
# (compare-results.json in the current directory unless --out FILE is given).
# Environment: TF_BUILD_DIR (Maven build folder, default target), MVN_ARGS (extra Maven arguments,
# e.g. -o), PYTHON (default /usr/bin/python3), JAVA (default java).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${TF_BUILD_DIR:-target}"
python="${PYTHON:-/usr/bin/python3}"
java="${JAVA:-java}"

if ! "$python" -c 'import taskflow, sqlalchemy' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "compare: installing python3-taskflow (TaskFlow 5) with apt-get" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-taskflow python3-sqlalchemy >/dev/null
  else
    echo "compare: TaskFlow is missing; install it (Debian: apt-get install python3-taskflow)," \
      "or pass --no-taskflow" >&2
  fi
fi

echo "compare: building the benchmark jar" >&2
# shellcheck disable=SC2086
(cd "$root" && mvn -B -q -Dstyle.color=never -Dtf.buildDir="$build" ${MVN_ARGS:-} \
  -pl taskflow4j-bench -am package -DskipTests) >&2

# Compare runs its measurements in a JVM of its own with a fixed, pre-touched heap (--no-fork: not).
exec "$java" -cp "$here/$build/benchmarks.jar" io.taskflow4j.bench.compare.Compare \
  --python "$python" "$@"
