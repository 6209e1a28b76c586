#!/usr/bin/python3
"""Builds a directory store the way TaskFlow leaves one after ``clear_all()``.

Usage: tf_interop_no_upgrade.py <empty store directory>

TaskFlow's ``dir`` backend makes ``books/``, ``flow_details/`` and ``atom_details/``
in ``upgrade()``, but its ``clear_all()`` removes the three directories themselves,
and every later write makes only the directories it writes into (its object locks
create their parents). So a store that was cleared and then given books whose flows
have no atom details has no ``atom_details/`` at all: a normal TaskFlow store, which
TaskFlow itself keeps reading and writing.

This script upgrades, saves a book with a flow and an atom, clears everything, then
saves two books (one with two flows without atoms, one without flows), all through
TaskFlow's own API, and prints what TaskFlow reads (``tf_interop_dump``, without
TaskFlow's ``validate()``, which refuses such a store).

Exit status: 0 ok, 2 usage, 3 something failed (traceback on stderr).
"""

import contextlib
import sys
import traceback

from taskflow.persistence import backends
from taskflow.persistence import models
from oslo_utils import uuidutils

import tf_interop_dump


def build(path):
    backend = backends.fetch({'connection': 'dir', 'path': path})
    try:
        with contextlib.closing(backend.get_connection()) as conn:
            conn.upgrade()
            first = models.LogBook('cleared-book')
            flow = models.FlowDetail('cleared-flow', uuidutils.generate_uuid())
            flow.add(models.TaskDetail('cleared-task', uuidutils.generate_uuid()))
            first.add(flow)
            conn.save_logbook(first)
            conn.clear_all()

            book = models.LogBook('after-clear \u2713')
            book.meta = {'cleared': True}
            planned = models.FlowDetail('planned', uuidutils.generate_uuid())
            planned.meta = {'store': {'x': 1}}
            started = models.FlowDetail('started', uuidutils.generate_uuid())
            started.state = 'RUNNING'
            book.add(planned)
            book.add(started)
            conn.save_logbook(book)
            conn.save_logbook(models.LogBook('no-flows'))
    finally:
        backend.close()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s <empty store directory>\n' % argv[0])
        return 2
    try:
        build(argv[1])
        dump = tf_interop_dump.dump_store(argv[1], validate=False)
    except Exception:
        sys.stderr.write('TaskFlow could not build the store:\n')
        traceback.print_exc()
        return 3
    tf_interop_dump.print_json({'dump': dump})
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
