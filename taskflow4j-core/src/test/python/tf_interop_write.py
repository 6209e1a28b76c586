#!/usr/bin/python3
"""Builds a directory store with OpenStack TaskFlow itself, then prints what it holds.

Usage: tf_interop_write.py <empty store directory>

Book "engine-book" is written by really running TaskFlow engines against the dir
backend: a successful linear flow (with a persistent ``store``, so the
``_TaskFlow_INJECTOR`` detail exists), a flow whose second task fails (REVERTED
atoms with real failures, causes and revert results), a flow whose revert fails
(REVERT_FAILURE), and two retry flows (``Times`` and ``ForEach``) whose retry
details keep a history of attempts with failures. Book "manual-book" is written
with the persistence API directly: details in unusual states, a ``None`` flow and
atom state, a tuple version, values that JSON changes (tuples, int keys, big ints)
and a retry history made by hand.

Output (stdout, one JSON document)::

    {"dump": <tf_interop_dump.dump_store(path)>,
     "retry_values": {<retry atom uuid>: [value of each attempt, ...]}}

``retry_values`` are the attempt values as the writer knows them (the engine's
in-memory history, or the values given by hand), because TaskFlow's own reader
replaces the value of every attempt that recorded failures (RetryDetail.from_dict
reuses the loop variable ``data``), so ``dump`` cannot show them.

Exit status: 0 ok, 2 usage, 3 something failed (traceback on stderr).
"""

import contextlib
import json
import sys
import traceback

import taskflow.engines
from taskflow import retry
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.persistence import backends
from taskflow.persistence import models
from oslo_utils import uuidutils
from taskflow.types import failure

import tf_interop_dump


# ---- tasks run by the engines ----

class MakeNumbers(task.Task):
    default_provides = 'numbers'

    def execute(self):
        return [1, 2.5, 'three', None, True, -7]


class Describe(task.Task):
    default_provides = 'description'

    def execute(self, numbers):
        return {'count': len(numbers),
                'nested': {'unicode': 'na\u00efve \u2603 \U0001F680',
                           'list': [[1], {}, []]},
                'empty': None}


class Greet(task.Task):
    default_provides = 'greeting_line'

    def execute(self, greeting, x):
        return '%s x=%d' % (greeting, x)


class Reserve(task.Task):
    def execute(self):
        return {'reserved': 1, 'seats': ['12A', '12B']}

    def revert(self, *args, **kwargs):
        return 'released \u2713'


class Charge(task.Task):
    def execute(self):
        try:
            {}['card']
        except KeyError as e:
            raise RuntimeError('card declined: \u20ac 12.50') from e

    def revert(self, *args, **kwargs):
        return None


class Stubborn(task.Task):
    def execute(self):
        return 42

    def revert(self, *args, **kwargs):
        raise IOError('cannot undo stubborn work')


class Boom(task.Task):
    def execute(self):
        raise ValueError('boom')


class Flaky(task.Task):
    """Fails until the retry's third attempt."""
    default_provides = 'flaky_result'

    def execute(self, attempt):
        if attempt < 3:
            raise ValueError('attempt %d is too early' % attempt)
        return {'attempt': attempt}


class Picky(task.Task):
    """Accepts only the letter 'c' (so ForEach tries 'a', 'b', 'c')."""

    def execute(self, letter):
        if letter != 'c':
            raise LookupError('letter %r rejected' % letter)
        return letter.upper()


def _run(flow, backend, book, store=None):
    """Runs a flow into the book; returns the engine (failures are expected)."""
    engine = taskflow.engines.load(flow, store=store, backend=backend, book=book)
    try:
        engine.run()
    except Exception:  # the failing flows re-raise their task's failure
        pass
    return engine


def _history_values(engine, retry_name):
    detail_uuid = engine.storage.get_atom_uuid(retry_name)
    history = engine.storage.get_retry_history(retry_name)
    return detail_uuid, list(history.provided_iter())


def _engine_book(backend):
    book = models.LogBook('engine-book \u00e9')
    book.meta = {'purpose': 'interop', 'owner': {'team': 'taskflow4j', 'n': 3}}
    retry_values = {}

    _run(linear_flow.Flow('happy-flow').add(MakeNumbers('make-numbers'),
                                            Describe('describe'),
                                            Greet('greet')),
         backend, book, store={'x': 2, 'greeting': 'h\u00e9llo'})
    _run(linear_flow.Flow('failing-flow').add(Reserve('reserve'),
                                              Charge('charge')),
         backend, book)
    _run(linear_flow.Flow('revert-failure-flow').add(Stubborn('stubborn'),
                                                     Boom('boom')),
         backend, book)

    times = linear_flow.Flow(
        'times-flow',
        retry=retry.Times(3, name='times-retry', provides='attempt'))
    engine = _run(times.add(Flaky('flaky')), backend, book)
    uuid, values = _history_values(engine, 'times-retry')
    retry_values[uuid] = values

    each = linear_flow.Flow(
        'foreach-flow',
        retry=retry.ForEach(['a', 'b', 'c'], name='foreach-retry', provides='letter'))
    engine = _run(each.add(Picky('picky')), backend, book)
    uuid, values = _history_values(engine, 'foreach-retry')
    retry_values[uuid] = values
    return retry_values


def _captured_failure():
    """A Failure of a real exception with a cause, as TaskFlow captures it."""
    try:
        try:
            [][3]
        except IndexError as e:
            raise ValueError('could not find \u2717 item') from e
    except ValueError:
        return failure.Failure()


def _manual_book(backend):
    book = models.LogBook('manual-book')
    flow = models.FlowDetail('manual-flow', uuidutils.generate_uuid())
    # state stays None: TaskFlow reports it as PENDING.
    flow.meta = {'factory': {'name': 'tests.flows.make', 'args': [1, 'two'],
                             'kwargs': {'k': None}},
                 'store': {'x': 5}}

    done = models.TaskDetail('manual-done', uuidutils.generate_uuid())
    done.state = 'SUCCESS'
    done.intention = 'EXECUTE'
    done.results = {1: 'int key', 'big': 2 ** 70, 'tuple': (1, 2), 'float': 3.25,
                    'neg': -1.5e-7, 'bool': False, 'text': '\u65e5\u672c'}
    done.meta = {'progress': 1.0,
                 'progress_details': {'at_progress': 1.0, 'details': {'step': 'done'}}}
    done.version = '3.1'

    failed = models.TaskDetail('manual-failed', uuidutils.generate_uuid())
    cause = _captured_failure()
    failed.state = 'FAILURE'
    failed.failure = cause
    failed.version = '1.0'

    revert_failed = models.TaskDetail('manual-revert-failed', uuidutils.generate_uuid())
    revert_failed.state = 'REVERT_FAILURE'
    revert_failed.intention = 'REVERT'
    revert_failed.results = ['kept', 'result']
    revert_failed.revert_failure = _captured_failure()
    revert_failed.version = (2, 1)

    no_state = models.TaskDetail('manual-no-state', uuidutils.generate_uuid())

    ignored = models.TaskDetail('manual-ignored', uuidutils.generate_uuid())
    ignored.state = 'IGNORE'
    ignored.intention = 'IGNORE'

    hand_retry = models.RetryDetail('manual-retry', uuidutils.generate_uuid())
    hand_retry.state = 'RETRYING'
    hand_retry.intention = 'RETRY'
    values = ['v1', {'k': [1, {'deep': True}]}, None]
    hand_retry.results = [(values[0], {}),
                          (values[1], {'manual-failed': cause}),
                          (values[2], {})]
    hand_retry.revert_results = {'undone': [1, 2]}
    hand_retry.meta = {'note': 'made by hand'}
    hand_retry.version = '1.0'

    for detail in (done, failed, revert_failed, no_state, ignored, hand_retry):
        flow.add(detail)
    book.add(flow)
    with contextlib.closing(backend.get_connection()) as conn:
        conn.save_logbook(book)
        # One more write through update_atom_details (merge with the stored copy).
        done.meta = dict(done.meta, touched='twice')
        conn.update_atom_details(done)
    return {hand_retry.uuid: values}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s <empty store directory>\n' % argv[0])
        return 2
    path = argv[1]
    try:
        backend = backends.fetch({'connection': 'dir', 'path': path})
        with contextlib.closing(backend.get_connection()) as conn:
            conn.upgrade()
        retry_values = _engine_book(backend)
        retry_values.update(_manual_book(backend))
        backend.close()
        # JSON-normalise (tuples -> lists) so they compare with what was stored.
        retry_values = json.loads(json.dumps(retry_values))
        dump = tf_interop_dump.dump_store(path)
    except Exception:
        sys.stderr.write('TaskFlow could not build the store:\n')
        traceback.print_exc()
        return 3
    tf_interop_dump.print_json({'dump': dump, 'retry_values': retry_values})
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
