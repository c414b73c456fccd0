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

Usage: python infra/moto_server.py HOST PORT
"""
import os
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.core.common_models import BaseModel
from werkzeug.serving import run_simple


def _untracked_new(cls, *args, **kwargs):
    return object.__new__(cls)


BaseModel.__new__ = _untracked_new


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
