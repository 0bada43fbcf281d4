"""bcrypt: its 72-byte limit, never on the event loop, and threads that wait for a slot are
served in the order they came."""

from __future__ import annotations

import asyncio

import pytest

from auth import passwords
from auth.passwords import hash_password, verify_password


def test_password_hashing_limits():
    with pytest.raises(ValueError):
        passwords.hash_password("x" * 73, 4)
    assert passwords.verify_password("x" * 73, passwords.hash_password("x" * 72, 4), 4) is False
    assert passwords.verify_password("anything", "not-a-bcrypt-hash", 4) is False
    assert passwords.verify_password("anything", None, 4) is False


def test_bcrypt_refuses_to_run_on_the_event_loop():
    async def on_the_loop(function, *args):
        return function(*args)

    with pytest.raises(RuntimeError, match="event loop"):
        asyncio.run(on_the_loop(hash_password, "long enough", 4))
    with pytest.raises(RuntimeError, match="event loop"):
        asyncio.run(on_the_loop(verify_password, "long enough", None, 4))


def test_bcrypt_runs_in_a_worker_thread_of_the_loop():
    async def in_a_thread():
        hashed = await asyncio.to_thread(hash_password, "long enough", 4)
        return await asyncio.to_thread(verify_password, "long enough", hashed, 4)

    assert asyncio.run(in_a_thread()) is True


def test_first_come_slots_serve_waiting_threads_in_arrival_order():
    import threading
    import time

    from auth.passwords import FirstComeSlots

    slots, served = FirstComeSlots(1), []

    def use(name):
        with slots:
            served.append(name)
            time.sleep(0.02)

    holder = threading.Thread(target=use, args=("first",))
    holder.start()
    time.sleep(0.005)
    waiters = []
    for name in ("second", "third", "fourth"):
        waiters.append(threading.Thread(target=use, args=(name,)))
        waiters[-1].start()
        time.sleep(0.002)
    for thread in (holder, *waiters):
        thread.join()
    assert served == ["first", "second", "third", "fourth"]
