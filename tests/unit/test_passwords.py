import asyncio

import pytest

from storage.passwords import hash_password, verify_password


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
