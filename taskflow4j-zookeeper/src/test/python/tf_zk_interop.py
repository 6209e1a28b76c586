#!/usr/bin/python3
"""OpenStack TaskFlow's ZooKeeper backend against a store taskflow4j shares.

Usage:
  tf_zk_interop.py dump  <hosts> <path>   print what TaskFlow reads, as canonical JSON
  tf_zk_interop.py write <hosts> <path>   save a logbook through TaskFlow, print its uuids
  tf_zk_interop.py update <hosts> <path> <atom uuid>
                                          TaskFlow updates one atom (state, results, meta)
  tf_zk_interop.py update-flow <hosts> <path> <flow uuid>
                                          TaskFlow updates one flow detail (state, meta)
  tf_zk_interop.py engines <hosts> <path> run TaskFlow engines into a new store (a
                                          successful flow, a reverted one, a retried
                                          one); print {"dump", "retry_values"}

The store is opened only through TaskFlow's own API (``backends.fetch`` with the
``zookeeper`` backend, i.e. ``impl_zookeeper`` over kazoo), so the output is what a
TaskFlow program sees. Children are sorted by uuid. ``dump`` also reads every flow and
atom a second time through ``get_flow_details``/``get_atoms_for_flow``/
``get_atom_details`` and fails (exit status 3) when the two views disagree.

Exit status: 0 ok, 2 usage, 3 TaskFlow failed (the traceback is on stderr).
"""

import contextlib
import datetime
import json
import sys
import traceback

import taskflow.engines
from taskflow import retry
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.persistence import backends
from taskflow.persistence import models
from taskflow.types import failure as tf_failure


def _time(value):
    """A datetime as ISO text to the microsecond (UTC, no offset), or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime('%Y-%m-%dT%H:%M:%S.%f')


def _failure(failure):
    return None if failure is None else failure.to_dict()


def _results(atom):
    if isinstance(atom, models.RetryDetail):
        return [[value, {name: _failure(f) for name, f in failures.items()}]
                for value, failures in (atom.results or [])]
    return atom.results


def canonical_atom(atom):
    return {
        'type': models.atom_detail_type(atom),
        'uuid': atom.uuid,
        'name': atom.name,
        'state': atom.state,
        'intention': atom.intention,
        'version': atom.version,
        'meta': atom.meta,
        'results': _results(atom),
        'failure': _failure(atom.failure),
        'revert_results': atom.revert_results,
        'revert_failure': _failure(atom.revert_failure),
    }


def canonical_flow(flow):
    return {
        'uuid': flow.uuid,
        'name': flow.name,
        'state': flow.state,
        'meta': flow.meta,
        'atoms': sorted((canonical_atom(a) for a in flow), key=lambda a: a['uuid']),
    }


def canonical_book(lazy_book, full_book):
    # Own fields from a lazy load: a full load sets updated_at to the time of reading.
    return {
        'uuid': lazy_book.uuid,
        'name': lazy_book.name,
        'meta': lazy_book.meta,
        'created_at': _time(lazy_book.created_at),
        'updated_at': _time(lazy_book.updated_at),
        'flows': sorted((canonical_flow(f) for f in full_book), key=lambda f: f['uuid']),
    }


@contextlib.contextmanager
def connection(hosts, path):
    backend = backends.fetch({'connection': 'zookeeper', 'hosts': hosts, 'path': path,
                              'timeout': 10.0})
    try:
        with contextlib.closing(backend.get_connection()) as conn:
            # TaskFlow's own check: server version >= 3.4.0 and the store's znodes exist.
            conn.validate()
            yield conn
    finally:
        backend.close()


def dump(hosts, path):
    with connection(hosts, path) as conn:
        books = []
        for lazy_book in conn.get_logbooks(lazy=True):
            full_book = conn.get_logbook(lazy_book.uuid)
            canonical = canonical_book(lazy_book, full_book)
            for flow in canonical['flows']:
                again = canonical_flow(conn.get_flow_details(flow['uuid']))
                if again != flow:
                    raise AssertionError('get_flow_details(%s) differs' % flow['uuid'])
                listed = sorted(a.uuid for a in conn.get_atoms_for_flow(flow['uuid']))
                if listed != [a['uuid'] for a in flow['atoms']]:
                    raise AssertionError('get_atoms_for_flow(%s) differs' % flow['uuid'])
                for atom in flow['atoms']:
                    if canonical_atom(conn.get_atom_details(atom['uuid'])) != atom:
                        raise AssertionError('get_atom_details(%s) differs' % atom['uuid'])
            books.append(canonical)
        return {'books': sorted(books, key=lambda b: b['uuid'])}


def write(hosts, path):
    book = models.LogBook('written by TaskFlow ✓')
    book.meta = {'origin': 'taskflow', 'n': 3}
    flow = models.FlowDetail('tf-flow', 'f7e3a1c2-0000-4000-8000-000000000001')
    flow.state = 'RUNNING'
    flow.meta = {'k': ['v', 1]}
    task = models.TaskDetail('tf-task', 'a7e3a1c2-0000-4000-8000-000000000002')
    task.state = 'SUCCESS'
    task.results = {'answer': 42, 'list': [1, 'two', None]}
    task.version = (1, 2)
    task.meta = {'progress': 1.0}
    failed = models.TaskDetail('tf-failed', 'b7e3a1c2-0000-4000-8000-000000000003')
    try:
        raise RuntimeError('boom ünïcode')
    except RuntimeError:
        failed.failure = tf_failure.Failure()
    failed.state = 'FAILURE'
    failed.intention = 'REVERT'
    retry = models.RetryDetail('tf-retry', 'c7e3a1c2-0000-4000-8000-000000000004')
    retry.state = 'SUCCESS'
    retry.results = [(1, {}), (2, {'tf-failed': failed.failure})]
    flow.add(task)
    flow.add(failed)
    flow.add(retry)
    book.add(flow)
    with connection(hosts, path) as conn:
        conn.upgrade()
        conn.save_logbook(book)
    return {'book': book.uuid, 'flow': flow.uuid,
            'atoms': [task.uuid, failed.uuid, retry.uuid]}


def update(hosts, path, atom_uuid):
    with connection(hosts, path) as conn:
        atom = conn.get_atom_details(atom_uuid)
        atom.state = 'SUCCESS'
        atom.results = 'updated by TaskFlow'
        atom.meta = dict(atom.meta or {}, by='taskflow')
        conn.update_atom_details(atom)
        return canonical_atom(conn.get_atom_details(atom_uuid))


def update_flow(hosts, path, flow_uuid):
    with connection(hosts, path) as conn:
        flow = conn.get_flow_details(flow_uuid)
        flow.state = 'SUCCESS'
        flow.meta = dict(flow.meta or {}, by='taskflow')
        conn.update_flow_details(flow)
        return canonical_flow(conn.get_flow_details(flow_uuid))


class MakeNumbers(task.Task):
    default_provides = 'numbers'

    def execute(self, seed):
        return [seed, 2.5, 'three', None, True]


class Describe(task.Task):
    default_provides = 'description'

    def execute(self, numbers):
        return {'count': len(numbers), 'text': 'na\u00efve \u2603'}


class Reserve(task.Task):
    def execute(self):
        return {'reserved': 1}

    def revert(self, *args, **kwargs):
        return 'released \u2713'


class Charge(task.Task):
    def execute(self):
        try:
            {}['card']
        except KeyError as e:
            raise RuntimeError('card declined: \u20ac 12.50') from e


class Flaky(task.Task):
    """Fails until the retry's third attempt."""

    def execute(self, attempt):
        if attempt < 3:
            raise ValueError('attempt %d is too early' % attempt)
        return {'attempt': attempt}


def _run(flow, backend, book, store=None):
    engine = taskflow.engines.load(flow, store=store, backend=backend, book=book)
    try:
        engine.run()
    except Exception:  # the failing flow re-raises its task's failure
        pass
    return engine


def engines(hosts, path):
    backend = backends.fetch({'connection': 'zookeeper', 'hosts': hosts, 'path': path,
                              'timeout': 10.0})
    try:
        with contextlib.closing(backend.get_connection()) as conn:
            conn.upgrade()
        book = models.LogBook('engine-book \u00e9')
        book.meta = {'purpose': 'read as found'}
        _run(linear_flow.Flow('happy-flow').add(MakeNumbers('make-numbers'),
                                                Describe('describe')),
             backend, book, store={'seed': 7})
        _run(linear_flow.Flow('failing-flow').add(Reserve('reserve'), Charge('charge')),
             backend, book)
        times = linear_flow.Flow(
            'times-flow', retry=retry.Times(3, name='times-retry', provides='attempt'))
        engine = _run(times.add(Flaky('flaky')), backend, book)
        retry_uuid = engine.storage.get_atom_uuid('times-retry')
        values = list(engine.storage.get_retry_history('times-retry').provided_iter())
        second = models.LogBook('second-book')
        with contextlib.closing(backend.get_connection()) as conn:
            conn.save_logbook(second)
    finally:
        backend.close()
    return {'dump': dump(hosts, path),
            'retry_values': json.loads(json.dumps({retry_uuid: values}))}


def print_json(value):
    json.dump(value, sys.stdout, sort_keys=True, ensure_ascii=True)
    sys.stdout.write('\n')
    sys.stdout.flush()


def main(argv):
    commands = {'dump': (dump, 4), 'write': (write, 4), 'update': (update, 5),
                'update-flow': (update_flow, 5),
                'engines': (engines, 4)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) != commands[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    func = commands[argv[1]][0]
    try:
        result = func(*argv[2:])
    except Exception:
        sys.stderr.write('TaskFlow failed:\n')
        traceback.print_exc()
        return 3
    print_json(result)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
