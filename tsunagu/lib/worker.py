"""The background worker's loop: runs each task of settings.WORKER_TASKS in turn.

A task is a plain function that does one bounded batch of work in its own
transaction(s) and returns how many items it handled. A crash inside a task is
logged and the loop goes on; nothing is half-done because each item commits alone.
"""

import logging
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

log = logging.getLogger("tsunagu.worker")


def load_tasks():
    return [(path, import_string(path)) for path in settings.WORKER_TASKS]


def run_once(tasks=None) -> dict[str, int]:
    """Run every task once; returns items handled per task."""
    done = {}
    for path, task in tasks or load_tasks():
        try:
            done[path] = task() or 0
        except Exception:
            log.exception("worker task %s failed", path)
            done[path] = 0
    return done


def run_forever(interval: float, should_stop=lambda: False):
    tasks = load_tasks()
    while not should_stop():
        # Like a request boundary: drop a connection the database has cut or that is too old,
        # so that the worker carries on by itself after a database restart.
        close_old_connections()
        handled = run_once(tasks)
        if not any(handled.values()):
            time.sleep(interval)
