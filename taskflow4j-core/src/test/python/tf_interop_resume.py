#!/usr/bin/python3
"""Resumes, with a TaskFlow engine, a flow detail that another program stored.

Usage: tf_interop_resume.py <store directory> <flow detail uuid>

The flow is linear: ``double`` (provides ``doubled``, from the injected ``base``)
then ``describe`` (provides ``description``) then ``finish`` (provides ``done``).
An atom that the store records as SUCCESS must not run again: ``double`` raises if
it is executed, so resuming works only if TaskFlow accepted the stored detail and
its result. Prints ``{"fetch_all": ..., "executed": [...], "dump": ...}``.

Exit status: 0 ok, 2 usage, 3 the engine or the store failed (traceback on stderr).
"""

import contextlib
import sys
import traceback

import taskflow.engines
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.persistence import backends

import tf_interop_dump

EXECUTED = []


class Double(task.Task):
    default_provides = 'doubled'

    def execute(self, base):
        EXECUTED.append(self.name)
        raise RuntimeError('double must not run again: the store says SUCCESS')


class Describe(task.Task):
    default_provides = 'description'

    def execute(self, doubled):
        EXECUTED.append(self.name)
        return {'doubled': doubled, 'text': 'r\u00e9sum\u00e9 %s' % doubled}


class Finish(task.Task):
    default_provides = 'done'

    def execute(self, description):
        EXECUTED.append(self.name)
        return [description['doubled'] + 1, True]


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: %s <store directory> <flow detail uuid>\n' % argv[0])
        return 2
    path, flow_uuid = argv[1], argv[2]
    try:
        backend = backends.fetch({'connection': 'dir', 'path': path})
        with contextlib.closing(backend.get_connection()) as conn:
            flow_detail = conn.get_flow_details(flow_uuid)
        flow = linear_flow.Flow(flow_detail.name).add(
            Double('double'), Describe('describe'), Finish('finish'))
        engine = taskflow.engines.load(flow, flow_detail=flow_detail,
                                       backend=backend)
        engine.run()
        fetched = engine.storage.fetch_all()
        backend.close()
        dump = tf_interop_dump.dump_store(path)
    except Exception:
        sys.stderr.write('TaskFlow could not resume the flow:\n')
        traceback.print_exc()
        return 3
    tf_interop_dump.print_json({'fetch_all': fetched, 'executed': EXECUTED,
                                'dump': dump})
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
