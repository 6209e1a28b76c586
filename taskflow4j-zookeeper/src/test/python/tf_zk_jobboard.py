#!/usr/bin/python3
"""OpenStack TaskFlow's ZooKeeper jobboard against a board taskflow4j shares.

Usage:
  tf_zk_jobboard.py post  <hosts> <jobs path> <name> <priority>
                          post a job (with a logbook and details), print {"uuid": ...}
  tf_zk_jobboard.py list  <hosts> <jobs path>
                          print every job TaskFlow's iterjobs yields, as JSON
  tf_zk_jobboard.py claim <hosts> <jobs path> <uuid> <who>
                          claim one job through TaskFlow, print {"claimed": true|false}

The board is opened only through TaskFlow's own API (``jobs.backends.fetch`` with
the ``zookeeper`` board over kazoo), so the output is what a TaskFlow conductor sees.
Exit status: 0 ok, 2 usage, 3 TaskFlow failed (the traceback is on stderr).
"""

import contextlib
import json
import sys
import traceback

from taskflow import exceptions as excp
from taskflow.jobs import backends
from taskflow.persistence import models


@contextlib.contextmanager
def board(hosts, path):
    b = backends.fetch('tf-interop', {'board': 'zookeeper', 'hosts': hosts,
                                      'path': path})
    b.connect()
    try:
        yield b
    finally:
        b.close()


def job_dict(job):
    return {
        'uuid': job.uuid,
        'name': job.name,
        'details': job.details,
        'book': None if job.book_uuid is None else {
            'name': job.book_name, 'uuid': job.book_uuid},
        'priority': job.priority.value,
        'state': job.state,
        'sequence': job.sequence,
    }


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    command, hosts, path = argv[0], argv[1], argv[2]
    try:
        with board(hosts, path) as b:
            if command == 'post' and len(argv) == 5:
                book = models.LogBook('tf-book')
                job = b.post(argv[3], book=book,
                             details={'flow_uuid': 'f-tf', 'store': {'n': 1}},
                             priority=argv[4])
                out = {'uuid': job.uuid, 'book_uuid': book.uuid}
            elif command == 'list' and len(argv) == 3:
                out = sorted((job_dict(j) for j in b.iterjobs(ensure_fresh=True)),
                             key=lambda j: j['sequence'])
            elif command == 'claim' and len(argv) == 5:
                job = next(j for j in b.iterjobs(ensure_fresh=True)
                           if j.uuid == argv[3])
                try:
                    b.claim(job, argv[4])
                    out = {'claimed': True}
                except excp.UnclaimableJob:
                    out = {'claimed': False}
            else:
                print(__doc__, file=sys.stderr)
                return 2
    except Exception:
        traceback.print_exc()
        return 3
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
