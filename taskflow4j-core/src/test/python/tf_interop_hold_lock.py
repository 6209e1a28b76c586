#!/usr/bin/python3
"""Holds TaskFlow's own lock of one object of a directory store.

Usage: tf_interop_hold_lock.py <store directory> <kind directory> <uuid> <go file>

<kind directory> is books, flow_details or atom_details. The lock is taken exactly
as TaskFlow's dir backend takes it around every read and write of an object
(``Connection._path_lock``: ``fasteners.InterProcessLock`` on ``<object>/lock``).
Once it is held the script creates ``<go file>.locked``, then waits until
``<go file>`` exists, reads the object's metadata through TaskFlow's own
(locked) path, releases the lock and prints ``{"metadata": <the JSON read>}``.

Exit status: 0 ok, 2 usage, 3 failure or no go file within 60 seconds.
"""

import contextlib
import json
import os
import sys
import time
import traceback

from taskflow.persistence import backends


def main(argv):
    if len(argv) != 5:
        sys.stderr.write('usage: %s <store> <kind directory> <uuid> <go file>\n' % argv[0])
        return 2
    store, kind, uuid, go = argv[1:]
    try:
        backend = backends.fetch({'connection': 'dir', 'path': store})
        with contextlib.closing(backend.get_connection()) as conn:
            path = os.path.join(store, kind, uuid)
            with conn._path_lock(path):
                open(go + '.locked', 'w').close()
                deadline = time.monotonic() + 60
                while not os.path.exists(go):
                    if time.monotonic() > deadline:
                        raise RuntimeError('no go file within 60 seconds')
                    time.sleep(0.01)
                with open(os.path.join(path, 'metadata'), encoding='utf-8') as fp:
                    metadata = json.load(fp)
        backend.close()
    except Exception:
        sys.stderr.write('could not hold the lock:\n')
        traceback.print_exc()
        return 3
    json.dump({'metadata': metadata}, sys.stdout, sort_keys=True, ensure_ascii=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
