"""moto in server mode, one request at a time.

`moto_server` runs each request on its own thread without isolation: two TransactWriteItems can
both pass one claim's condition (DynamoDB serialises them), and its transaction code deep-copies
tables unlocked (`dictionary changed size during iteration`, answered as an HTML 500). A global
lock around moto's WSGI app gives DynamoDB's isolation; connections still get their own thread,
so idle keep-alive connections never block anyone.

moto also keeps every model object it ever made (`BaseModel.__new__` appends each to its class's
`instances_tracked`, for its dashboard), deep copies included: a TransactWriteItems copies each
table it touches, so every transaction kept a whole table alive and `make cost-report` (20,000
customers) grew past 19 GB. Nothing we use reads that list: it is not kept.

moto's TransactWriteItems deep-copies every table it touches before its first write, to roll
back on a cancellation: ~1 s per transaction at 20,000 items, so `crm-admin customer import`
against `make dev` timed out. `journaled_transactions` keeps moto's own code (its conditions,
cancellation reasons and errors) but backs up only the items the transaction names, and the
length of each table's stream, and puts those back on a rollback (infra/moto_server_test.py
checks that the answers and the tables after them are the same as moto's).

Usage: python infra/moto_server.py HOST PORT
"""
import copy
import os
import sys
import threading

import moto
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.core.common_models import BaseModel
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from werkzeug.serving import run_simple


def _untracked_new(cls, *args, **kwargs):
    return object.__new__(cls)


BaseModel.__new__ = _untracked_new

# The only deep copy of a Table in moto.dynamodb.models is transact_write_items' backup, and
# its rollback assigns that backup back: with the table itself as its "copy", that is a no-op,
# and the journal below does the rollback instead.
_moto_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


class _TablesUncopied:
    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _named_key(backend, op_type, op):
    """(table, hash, range) of the item an operation names; None where moto will refuse it
    before writing anything (unknown table, missing key)."""
    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    attrs = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
        return None
    if table.range_key_attr is not None and table.range_key_attr not in attrs:
        return None
    try:
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = (
            DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        )
    except Exception:  # a malformed value: moto refuses it before writing
        return None
    return table, hash_value, range_value


def _stored(table, hash_value, range_value):
    if range_value is None:
        return table.items.get(hash_value)
    inner = table.items.get(hash_value)
    return None if inner is None else inner.get(range_value)


def _put_back(table, hash_value, range_value, item):
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
    elif item is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item


def journaled_transactions(self, transact_items):
    journal = []
    streams = {}
    for entry in transact_items if isinstance(transact_items, list) else []:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        op_type, op = next(iter(entry.items()))
        named = _named_key(self, op_type, op) if isinstance(op, dict) else None
        if named is None:
            continue
        table, hash_value, range_value = named
        item = _stored(table, hash_value, range_value)
        had_hash = hash_value in table.items
        journal.append((table, hash_value, range_value, had_hash, copy.deepcopy(item)))
        shard = table.stream_shard
        if shard is not None and id(table) not in streams:
            streams[id(table)] = (shard, shard.items, len(shard.items))
    try:
        return _moto_transact_write_items(self, transact_items)
    except BaseException:
        for table, hash_value, range_value, had_hash, item in reversed(journal):
            _put_back(table, hash_value, range_value, item)
            if not had_hash and not table.items.get(hash_value, True):
                del table.items[hash_value]  # the empty range map a write made
        for shard, records, length in streams.values():
            if shard.items is records:  # the records a rolled-back write added
                del records[length:]
        raise


def patch_transactions():
    dynamodb_models.copy = _TablesUncopied
    dynamodb_models.DynamoDBBackend.transact_write_items = journaled_transactions


def unpatch_transactions():
    """moto's own transactions, for infra/moto_server_test.py's comparison."""
    dynamodb_models.copy = copy
    dynamodb_models.DynamoDBBackend.transact_write_items = _moto_transact_write_items


# Written against moto 5.2.5's transact_write_items (infra/requirements-dev.txt pins it): on
# another version, moto's own copy, until infra/moto_server_test.py passes there.
_PATCHED_FOR = "5.2.5"
if os.environ.get("MOTO_TABLE_COPY") == "1":  # moto's own copy, to measure the difference
    pass
elif moto.__version__ != _PATCHED_FOR:
    print(f"moto_server: moto {moto.__version__}, not {_PATCHED_FOR}: transactions copy whole tables",
          file=sys.stderr)
else:
    patch_transactions()


class Serialised:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # moto's answers are whole bodies; read them out while the lock is held.
            return list(self.app(environ, start_response))


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto_server does: queue URLs name it
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, Serialised(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
