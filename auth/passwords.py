"""bcrypt hashing. The cost comes from settings: 12 in production, 4 in tests."""

from __future__ import annotations

import collections
import functools
import os
import threading

import bcrypt

from storage.db import on_the_event_loop


class FirstComeSlots:
    """A semaphore that serves waiting threads in arrival order (``threading.Semaphore`` lets a
    newcomer overtake a thread it has just woken, which starves a few of them for seconds)."""

    def __init__(self, slots: int) -> None:
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: collections.deque[threading.Event] = collections.deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # the slot is handed over by __exit__

    def __exit__(self, *exc) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1


# As many hashes at once as there are cores. More would only share the cores, so that every
# password check in the queue finished late instead of the first ones finishing on time.
_CORES = FirstComeSlots(os.cpu_count() or 1)

# bcrypt only reads the first 72 bytes; bcrypt 5 raises on longer input instead of truncating.
MAX_PASSWORD_BYTES = 72


def password_fits(password: str) -> bool:
    return len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES


def _refuse_the_event_loop() -> None:
    """bcrypt takes about 0.2 s at cost 12: on the event loop it would stall every request the
    worker holds. Handlers that reach it run in Connexion's thread pool (web/resolver.py)."""
    if on_the_event_loop():
        raise RuntimeError("bcrypt must not run on the event loop")


def hash_password(password: str, rounds: int) -> str:
    _refuse_the_event_loop()
    if not password_fits(password):
        raise ValueError(f"passwords are limited to {MAX_PASSWORD_BYTES} bytes")
    with _CORES:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"no user has this password", bcrypt.gensalt(rounds))


def verify_password(password: str, password_hash: str | None, rounds: int) -> bool:
    """Check ``password`` against ``password_hash``.

    An unknown user (``password_hash=None``) is checked against a dummy hash of the same cost,
    so that a login for a missing username takes as long as one with a wrong password.
    """
    _refuse_the_event_loop()
    candidate = password.encode("utf-8")
    if len(candidate) > MAX_PASSWORD_BYTES:
        return False
    stored = password_hash.encode("ascii") if password_hash else _dummy_hash(rounds)
    try:
        with _CORES:
            matched = bcrypt.checkpw(candidate, stored)
    except ValueError:  # a malformed stored hash
        return False
    return matched and password_hash is not None
