#!/usr/bin/python3
"""Prints what OpenStack TaskFlow reads from a directory store, as canonical JSON.

Usage: tf_interop_dump.py <store directory>

The store is opened only through TaskFlow's own API (the ``dir`` persistence
backend and its models), so the output is exactly what a TaskFlow program would
see: books -> flows -> atoms with every field, failures as ``Failure.to_dict()``.
Children are sorted by uuid (the dir backend lists them in directory order).

Besides ``get_logbook`` the script reads every flow and atom a second time through
``get_flow_details``/``get_flows_for_book``/``get_atoms_for_flow``/``get_atom_details``
and fails (exit status 3) when the two views disagree.

Exit status: 0 ok, 2 usage, 3 TaskFlow could not read the store (the message on
stderr says which object and why).
"""

import contextlib
import datetime
import json
import sys
import traceback

from taskflow.persistence import backends
from taskflow.persistence import models


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
        # The history as TaskFlow hands it out: [(value, {atom name: Failure})].
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
        'atoms': sorted((canonical_atom(a) for a in flow),
                        key=lambda a: a['uuid']),
    }


def canonical_book(lazy_book, full_book):
    """A book's own fields from a lazy load, its flows from a full load.

    The own fields come from the lazy load because a full load changes
    ``updated_at``: TaskFlow's reader attaches each flow with LogBook.add(),
    which sets ``updated_at`` to the time of reading.
    """
    return {
        'uuid': lazy_book.uuid,
        'name': lazy_book.name,
        'meta': lazy_book.meta,
        'created_at': _time(lazy_book.created_at),
        'updated_at': _time(lazy_book.updated_at),
        'flows': sorted((canonical_flow(f) for f in full_book),
                        key=lambda f: f['uuid']),
    }


def _cross_check(conn, book, canonical):
    """Reads the book's children through the other read calls; they must agree."""
    flows = {f['uuid']: f for f in canonical['flows']}
    listed = sorted(f.uuid for f in conn.get_flows_for_book(book.uuid))
    if listed != sorted(flows):
        raise AssertionError('get_flows_for_book(%s) lists %s, get_logbook %s'
                             % (book.uuid, listed, sorted(flows)))
    for flow_uuid, expected in flows.items():
        again = canonical_flow(conn.get_flow_details(flow_uuid))
        if again != expected:
            raise AssertionError('get_flow_details(%s) differs from get_logbook'
                                 % flow_uuid)
        lazy = conn.get_flow_details(flow_uuid, lazy=True)
        if len(lazy) != 0 or lazy.name != expected['name']:
            raise AssertionError('lazy get_flow_details(%s) is wrong' % flow_uuid)
        atoms = {a['uuid']: a for a in expected['atoms']}
        listed = sorted(a.uuid for a in conn.get_atoms_for_flow(flow_uuid))
        if listed != sorted(atoms):
            raise AssertionError('get_atoms_for_flow(%s) lists %s, expected %s'
                                 % (flow_uuid, listed, sorted(atoms)))
        for atom_uuid, atom in atoms.items():
            if canonical_atom(conn.get_atom_details(atom_uuid)) != atom:
                raise AssertionError('get_atom_details(%s) differs' % atom_uuid)


def dump_store(path, validate=True):
    """The canonical form of everything TaskFlow reads from the store at path.

    ``validate=False`` skips TaskFlow's own ``validate()``, which refuses a store
    missing one of its three directories even though TaskFlow reads and writes such
    a store (it makes each directory when it first writes there).
    """
    backend = backends.fetch({'connection': 'dir', 'path': path})
    try:
        with contextlib.closing(backend.get_connection()) as conn:
            if validate:
                conn.validate()
            books = []
            full_books = {b.uuid: b for b in conn.get_logbooks()}
            for lazy_book in conn.get_logbooks(lazy=True):
                if len(lazy_book) != 0:
                    raise AssertionError('lazy get_logbooks() loaded flows of %s'
                                         % lazy_book.uuid)
                full_book = conn.get_logbook(lazy_book.uuid)
                canonical = canonical_book(lazy_book, full_book)
                if lazy_book.uuid not in full_books or canonical_book(
                        lazy_book, full_books[lazy_book.uuid]) != canonical:
                    raise AssertionError('get_logbooks() and get_logbook(%s) differ'
                                         % lazy_book.uuid)
                again = canonical_book(conn.get_logbook(lazy_book.uuid, lazy=True),
                                       full_book)
                if again != canonical:
                    raise AssertionError('lazy get_logbook(%s) differs' % lazy_book.uuid)
                _cross_check(conn, lazy_book, canonical)
                books.append(canonical)
            if sorted(full_books) != sorted(b['uuid'] for b in books):
                raise AssertionError('get_logbooks() and get_logbooks(lazy=True) list'
                                     ' different books')
            return {'books': sorted(books, key=lambda b: b['uuid'])}
    finally:
        backend.close()


def print_json(value):
    # ASCII escapes keep the output independent of the console's encoding.
    json.dump(value, sys.stdout, sort_keys=True, ensure_ascii=True)
    sys.stdout.write('\n')
    sys.stdout.flush()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s <store directory>\n' % argv[0])
        return 2
    try:
        dump = dump_store(argv[1])
    except Exception:
        sys.stderr.write('TaskFlow could not read the store:\n')
        traceback.print_exc()
        return 3
    print_json(dump)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
