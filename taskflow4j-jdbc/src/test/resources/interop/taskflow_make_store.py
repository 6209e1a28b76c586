"""Creates a store with OpenStack TaskFlow's own SQL backend, as TaskFlow alone would.

Usage: taskflow_make_store.py <connection> <alembic folder> [<alembic revision> | model]
TaskFlow's upgrade() makes the tables (create_all on SQLite; alembic on the others, from the given
folder, to the given revision or head); with "model", TaskFlow's table model makes them on any
database (create_all, as where no alembic configuration ships). Then TaskFlow saves two logbooks. Prints one JSON
document: every logbook as TaskFlow reads it back.
"""
import json
import sys

import sqlalchemy

from alembic import config as alembic_config
from taskflow.persistence import backends
from taskflow.persistence import models
from taskflow.persistence.backends.sqlalchemy import migration
from taskflow.persistence.backends.sqlalchemy import tables
from taskflow.types import failure


def use_alembic_folder(folder, revision):
    def make_config():
        cfg = alembic_config.Config()
        cfg.set_main_option('script_location', folder)
        return cfg

    migration._make_alembic_config = make_config
    if revision:
        db_sync = migration.db_sync
        migration.db_sync = lambda conn, revision_=revision: db_sync(conn, revision_)


def failure_of(exc):
    try:
        raise exc
    except Exception:
        return failure.Failure()


def atom(ad):
    results = ad.results
    if isinstance(ad, models.RetryDetail):
        results = [[r, {k: f.to_dict() for k, f in fails.items()}] for r, fails in results]
    return {
        'uuid': ad.uuid, 'name': ad.name, 'type': type(ad).__name__,
        'state': ad.state, 'intention': ad.intention, 'version': ad.version,
        'meta': ad.meta, 'results': results, 'revert_results': ad.revert_results,
        'failure': ad.failure.to_dict() if ad.failure else None,
        'revert_failure': ad.revert_failure.to_dict() if ad.revert_failure else None,
    }


def main():
    connection, folder = sys.argv[1], sys.argv[2]
    revision = sys.argv[3] if len(sys.argv) > 3 else None
    backend = backends.fetch({'connection': connection})
    conn = backend.get_connection()
    if revision == 'model':
        metadata = sqlalchemy.MetaData()
        tables.fetch(metadata)
        with backend.engine.begin() as c:
            metadata.create_all(bind=c)
    else:
        use_alembic_folder(folder, revision)
        conn.upgrade()

    book = models.LogBook('orders', uuid='b1000000-0000-0000-0000-000000000001')
    book.meta = {'owner': 'python', 'nested': {'n': 1}}
    flow = models.FlowDetail('checkout', uuid='f1000000-0000-0000-0000-000000000001')
    flow.state = 'REVERTED'
    flow.meta = {'store': {'order': 7}}
    charged = models.TaskDetail('charge', uuid='a1000000-0000-0000-0000-000000000003')
    charged.version = '1.2'
    charged.state = 'REVERTED'
    charged.intention = 'REVERT'
    charged.results = {'amount': 1234567890123, 'items': [1, 'two', None]}
    charged.revert_results = 'refunded'
    charged.meta = {'progress': 1.0}
    shipped = models.TaskDetail('ship', uuid='a1000000-0000-0000-0000-000000000002')
    shipped.state = 'FAILURE'
    shipped.failure = failure_of(RuntimeError('no courier'))
    retry = models.RetryDetail('again', uuid='a1000000-0000-0000-0000-000000000001')
    retry.state = 'SUCCESS'
    retry.results = [(1, {}), (2, {'ship': failure_of(ValueError('flat tyre'))})]
    # Inserted in this order, uuids descending: order must come from insertion, not uuid.
    flow.add(charged)
    flow.add(shipped)
    flow.add(retry)
    book.add(flow)
    conn.save_logbook(book)

    empty = models.LogBook('empty', uuid='b2000000-0000-0000-0000-000000000002')
    empty.add(models.FlowDetail('idle', uuid='f2000000-0000-0000-0000-000000000002'))
    conn.save_logbook(empty)

    out = []
    for lb in conn.get_logbooks():
        flows = []
        for fd in lb:
            flows.append({'uuid': fd.uuid, 'name': fd.name, 'state': fd.state,
                          'meta': fd.meta, 'atoms': [atom(a) for a in fd]})
        out.append({'uuid': lb.uuid, 'name': lb.name, 'meta': lb.meta, 'flows': flows})
    print(json.dumps(out, sort_keys=True))
    conn.close()
    backend.close()


if __name__ == '__main__':
    main()
