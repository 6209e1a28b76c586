#!/usr/bin/python3
"""Updates atom and flow details of a directory store through TaskFlow's own API.

Usage: tf_interop_update.py <store directory> <changes as JSON>

The changes::

    {"atoms": [{"uuid": ..., "state": ..., "intention": ..., "results": ...,
                "meta_update": {...}}, ...],
     "flows": [{"uuid": ..., "state": ..., "meta_update": {...}}, ...]}

Every key but ``uuid`` is optional. Each detail is read with ``get_atom_details`` /
``get_flow_details(lazy=True)``, changed, and written with ``update_atom_details`` /
``update_flow_details`` -- TaskFlow's merge-into-the-stored-copy path, as its
storage layer does during a run. Prints the canonical dump of the store afterwards
(see tf_interop_dump.py).

Exit status: 0 ok, 2 usage, 3 TaskFlow failed (traceback on stderr).
"""

import contextlib
import json
import sys
import traceback

from taskflow.persistence import backends

import tf_interop_dump


def _apply(detail, change, keys):
    for key in keys:
        if key in change:
            setattr(detail, key, change[key])
    if 'meta_update' in change:
        detail.meta = dict(detail.meta or {}, **change['meta_update'])


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: %s <store directory> <changes as JSON>\n' % argv[0])
        return 2
    path, changes = argv[1], json.loads(argv[2])
    try:
        backend = backends.fetch({'connection': 'dir', 'path': path})
        with contextlib.closing(backend.get_connection()) as conn:
            for change in changes.get('atoms', []):
                atom = conn.get_atom_details(change['uuid'])
                _apply(atom, change, ('state', 'intention', 'results'))
                conn.update_atom_details(atom)
            for change in changes.get('flows', []):
                flow = conn.get_flow_details(change['uuid'], lazy=True)
                _apply(flow, change, ('state',))
                conn.update_flow_details(flow)
        backend.close()
        dump = tf_interop_dump.dump_store(path)
    except Exception:
        sys.stderr.write('TaskFlow could not update the store:\n')
        traceback.print_exc()
        return 3
    tf_interop_dump.print_json(dump)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
