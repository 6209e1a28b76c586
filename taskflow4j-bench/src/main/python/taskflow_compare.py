"""TaskFlow's side of the comparison harness (io.taskflow4j.bench.compare.Compare).

Usage:
  /usr/bin/python3 taskflow_compare.py --workload chain|fanout --backend none|memory|dir|sqlite \
      --n N [--runs R] [--dir DIR]

Workloads (the same as taskflow4j's io.taskflow4j.workloads.Workloads):
  chain  -- a linear_flow of N tasks; task i takes v<i-1> (rebind x) and provides v<i> = x + 1,
            from store {'v0': 0}; serial engine.
  fanout -- an unordered_flow of N independent tasks; task i provides v<i> = i; parallel engine.
Backends: none (backend=None: the engine's private memory), memory (memory://),
dir ({'connection': 'dir', 'path': DIR/store}), sqlite (sqlite:///DIR/tf.db, SQLite defaults).

One warm-up run of N=10 first. Each timed run is
  taskflow.engines.run(flow, store=..., book=LogBook('bench'), backend=be, engine=...)
and, with a backend, is followed by a resume of that finished flow: get_logbook() + engines.load
(a new flow, flow_detail=fd) + run(), which must execute no task. Prints one JSON object:
  {"run_s": [...], "resume_s": [...], "load_s": [...], "taskflow": "5.0.0"}
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from taskflow import engines, task
from taskflow.patterns import linear_flow, unordered_flow
from taskflow.persistence import backends, models

EXECUTED = [0]


class Inc(task.Task):
    def execute(self, x):
        EXECUTED[0] += 1
        return x + 1


class Const(task.Task):
    def __init__(self, name, value, **kwargs):
        super(Const, self).__init__(name=name, **kwargs)
        self._value = value

    def execute(self):
        EXECUTED[0] += 1
        return self._value


def chain(n):
    f = linear_flow.Flow("chain")
    for i in range(1, n + 1):
        f.add(Inc("t%d" % i, rebind={"x": "v%d" % (i - 1)}, provides="v%d" % i))
    return f


def fanout(n):
    f = unordered_flow.Flow("fanout")
    for i in range(1, n + 1):
        f.add(Const("t%d" % i, i, provides="v%d" % i))
    return f


def make_backend(kind, workdir):
    if kind == "none":
        return None
    if kind == "memory":
        conf = {"connection": "memory://"}
    elif kind == "dir":
        path = os.path.join(workdir, "store")
        os.makedirs(path, exist_ok=True)
        conf = {"connection": "dir", "path": path}
    elif kind == "sqlite":
        conf = {"connection": "sqlite:///" + os.path.join(workdir, "tf.db")}
    else:
        raise SystemExit("unknown backend %r: use none, memory, dir or sqlite" % kind)
    be = backends.fetch(conf)
    conn = be.get_connection()
    conn.upgrade()
    conn.close()
    return be


def one_run(workload, n, be):
    flow = chain(n) if workload == "chain" else fanout(n)
    store = {"v0": 0} if workload == "chain" else {}
    engine = "serial" if workload == "chain" else "parallel"
    book = models.LogBook("bench")
    EXECUTED[0] = 0
    t0 = time.perf_counter()
    out = engines.run(flow, store=store, book=book, backend=be, engine=engine)
    run_s = time.perf_counter() - t0
    want = n
    if out["v%d" % n] != want or EXECUTED[0] != n:
        raise SystemExit("wrong run: v%d=%r, %d executions" % (n, out["v%d" % n], EXECUTED[0]))
    if be is None:
        return run_s, None, None
    EXECUTED[0] = 0
    t0 = time.perf_counter()
    conn = be.get_connection()
    lb = conn.get_logbook(book.uuid)
    conn.close()
    load_s = time.perf_counter() - t0
    fd = list(lb)[0]
    flow = chain(n) if workload == "chain" else fanout(n)
    eng = engines.load(flow, flow_detail=fd, book=lb, backend=be, engine=engine)
    eng.run()
    resume_s = time.perf_counter() - t0
    if EXECUTED[0] != 0:
        raise SystemExit("the resume of a finished flow executed %d tasks" % EXECUTED[0])
    return run_s, resume_s, load_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True, choices=["chain", "fanout"])
    ap.add_argument("--backend", required=True, choices=["none", "memory", "dir", "sqlite"])
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true",
                    help="leave the store directory for the caller to delete")
    a = ap.parse_args()
    workdir = a.dir or tempfile.mkdtemp(prefix="taskflow-compare-")
    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    os.makedirs(workdir)
    try:
        be = make_backend(a.backend, workdir)
        one_run(a.workload, 10, be)  # warm-up
        runs, resumes, loads = [], [], []
        for _ in range(a.runs):
            r, s, l = one_run(a.workload, a.n, be)
            runs.append(r)
            if s is not None:
                resumes.append(s)
                loads.append(l)
        try:
            import pkg_resources
            version = pkg_resources.get_distribution("taskflow").version
        except Exception:  # noqa: BLE001 - the version is informative only
            version = "unknown"
        print(json.dumps({"run_s": runs, "resume_s": resumes, "load_s": loads,
                          "taskflow": version, "python": sys.version.split()[0]}))
    finally:
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
