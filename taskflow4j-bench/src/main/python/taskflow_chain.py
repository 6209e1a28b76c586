"""TaskFlow's own chain on a SQLite file, the peer of SqlChainBenchmark.

Usage: /usr/bin/python3 taskflow_chain.py N /abs/path/chain.db [RUNS]
A linear flow of N tasks, task i adding one to v<i-1> and providing v<i>, run by
taskflow.engines.run with the SQL backend; prints the time per run and per task.
"""
import os
import sys
import time

from taskflow import engines, task
from taskflow.patterns import linear_flow
from taskflow.persistence import backends


class Inc(task.Task):
    def execute(self, x):
        return x + 1


def chain(n):
    f = linear_flow.Flow("chain")
    for i in range(1, n + 1):
        f.add(Inc("t%d" % i, rebind={"x": "v%d" % (i - 1)}, provides="v%d" % i))
    return f


def main():
    n = int(sys.argv[1])
    path = sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if os.path.exists(path):
        os.remove(path)
    backend = backends.fetch({"connection": "sqlite:///" + path})
    backend.get_connection().upgrade()
    for r in range(runs):
        t0 = time.time()
        out = engines.run(chain(n), store={"v0": 0}, backend=backend)
        dt = time.time() - t0
        assert out["v%d" % n] == n, out["v%d" % n]
        print("taskflow chain n=%d run %d: %.2f s (%.2f ms/task)" % (n, r, dt, dt * 1000 / n),
              flush=True)


if __name__ == "__main__":
    main()
