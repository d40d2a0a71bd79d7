"""The service loop: one background thread with its own asyncio event loop.

Why a thread of its own: the dashboard's loop belongs to Textual and ends when the UI exits (on
`ctrl+q`, or at once when the SSH session drops). Deploys and other operations must outlive the UI
and finish (or roll back) headless, so they run here. The UI awaits them through `run()`, which
bridges the two loops; subscribers get events on this loop's thread and must hand them over
thread-safely (Textual's `post_message` is).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class ServiceRuntime:
    def __init__(self, name: str = "proximity-services") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._tasks: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("service runtime not started")
        return self._loop

    def start(self) -> ServiceRuntime:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()
        self._ready.wait()
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def in_service_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the service loop from any thread; tracked until it ends."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        with self._lock:
            self._tasks.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._tasks.discard(future)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a coroutine on the service loop from another event loop (the UI's).

        Shielded: if the caller is cancelled (its screen closed, the UI quit), the service work
        goes on to its end. Stopping an operation is explicit (`AppService.cancel_operation`),
        never a side effect of a widget going away mid-call."""
        if self.in_service_thread():
            return await coro
        return await asyncio.shield(asyncio.wrap_future(self.submit(coro)))

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the service loop and block until it ends (CLI and tests)."""
        return self.submit(coro).result(timeout)

    def in_flight(self) -> int:
        with self._lock:
            return sum(1 for f in self._tasks if not f.done())

    def drain(self, timeout: float) -> bool:
        """Wait until every submitted coroutine has ended; False if some still run at timeout."""
        with self._lock:
            futures = list(self._tasks)
        done, not_done = concurrent.futures.wait(futures, timeout=timeout)
        return not not_done

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self._loop = None
        self._ready.clear()
