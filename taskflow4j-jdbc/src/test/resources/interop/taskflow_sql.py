"""Reads and writes a taskflow4j SQL store with OpenStack TaskFlow's own SQL backend.

Usage: taskflow_sql.py <connection> <atom uuid to update>
Prints one JSON document: every logbook as TaskFlow sees it, after TaskFlow
 (1) updated the given atom (state REVERTED, revert_results "undone") and
 (2) saved a new logbook 'py-book' with one flow and one task.
"""
import json
import sys

from oslo_utils import uuidutils
from taskflow.persistence import backends
from taskflow.persistence import models


def plain(value):
    # Failures (a failed atom's results, inside a retry's history) print as their dicts.
    return value.to_dict() if hasattr(value, 'to_dict') else value


def atom(ad):
    return {
        'uuid': ad.uuid, 'name': ad.name, 'type': type(ad).__name__,
        'state': ad.state, 'intention': ad.intention, 'version': ad.version,
        'meta': ad.meta, 'results': plain(ad.results),
        'revert_results': plain(ad.revert_results),
        'failure': ad.failure.to_dict() if ad.failure else None,
    }


def main():
    connection, atom_uuid = sys.argv[1], sys.argv[2]
    backend = backends.fetch({'connection': connection})
    conn = backend.get_connection()
    ad = conn.get_atom_details(atom_uuid)
    ad.state = 'REVERTED'
    ad.revert_results = 'undone'
    conn.update_atom_details(ad)

    lb = models.LogBook('py-book')
    fd = models.FlowDetail('py-flow', uuid=uuidutils.generate_uuid())
    td = models.TaskDetail('py-task', uuid=uuidutils.generate_uuid())
    td.state = 'SUCCESS'
    td.results = {'from': 'python', 'list': [1, 2]}
    td.meta = {'progress': 1.0}
    fd.add(td)
    lb.add(fd)
    conn.save_logbook(lb)

    out = []
    for book in conn.get_logbooks():
        flows = []
        for flow in book:
            flows.append({'uuid': flow.uuid, 'name': flow.name, 'state': flow.state,
                          'meta': flow.meta, 'atoms': [atom(a) for a in flow]})
        out.append({'uuid': book.uuid, 'name': book.name, 'meta': book.meta,
                    'created_at': book.created_at.isoformat() if book.created_at else None,
                    'flows': flows})
    print(json.dumps(out, sort_keys=True, default=plain))
    conn.close()
    backend.close()


if __name__ == '__main__':
    main()
