"""``parallel_map``: the one way per-song work is spread over CPUs or a Ray cluster.

Local process pool by default; a Ray cluster when an address is given (``--ray-address`` or
``DROPPER_RAY_ADDRESS``). Results come back as they finish, so the parent can record each one
at once: an interrupted run keeps everything that finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from dropper.errors import NodeUnreachable

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(fn: Callable[[T], R], items: Sequence[T], *, jobs: int = 0,
                 ray_address: str = "") -> Iterator[tuple[int, R]]:
    """Yield ``(index, fn(items[index]))`` in completion order.

    Parameters
    ----------
    fn : a picklable top-level function; it must not raise (wrap errors into its result).
    items : the work items (picklable).
    jobs : local worker processes; 0 means one per CPU. 1 runs in this process.
    ray_address : a Ray cluster address (``auto``, ``host:6379``, ``ray://host:10001``);
        empty uses the local pool.
    """
    if not items:
        return iter(())
    if ray_address:
        return _ray_map(fn, items, ray_address)
    jobs = jobs or default_jobs()
    if jobs == 1 or len(items) == 1:
        return ((index, fn(item)) for index, item in enumerate(items))
    return _pool_map(fn, items, min(jobs, len(items)))


def _pool_map(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[tuple[int, R]]:
    executor = ProcessPoolExecutor(max_workers=jobs)
    try:
        pending = {executor.submit(fn, item): index for index, item in enumerate(items)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield pending.pop(future), future.result()
    finally:
        # On an interrupt or a closed generator, drop queued work instead of waiting for it.
        executor.shutdown(wait=True, cancel_futures=True)


def _apply(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a ``host:port`` (or ``ray://host:port``) nobody listens on.

    Ray itself keeps retrying an unreachable head for minutes, printing as it goes.
    """
    import socket

    host_port = address.removeprefix("ray://")
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms are Ray's to resolve
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s) as connection:
            grpc = _answers_http2(connection)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise NodeUnreachable(f"Ray cluster at {address!r} did not answer: {reason.lower()}") from None
    if not grpc:  # Ray would retry this for a long while, printing gRPC errors
        raise NodeUnreachable(f"Ray cluster at {address!r}: something listens there, but not a Ray head "
                              "(it does not speak gRPC); check the address and port (GCS: 6379, client: 10001)")


# HTTP/2's client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS and its client
# server both are) answers with a SETTINGS frame of its own.
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def _answers_http2(connection, timeout_s: float = 3.0) -> bool:
    """True when the peer answers HTTP/2's preface with a SETTINGS frame (frame type 4)."""
    connection.settimeout(timeout_s)
    connection.sendall(_HTTP2_PREFACE)
    header = b""
    try:
        while len(header) < 9:
            chunk = connection.recv(9 - len(header))
            if not chunk:
                break
            header += chunk
    except TimeoutError:
        pass
    return len(header) == 9 and header[3] == 4


def _ray_map(fn: Callable[[T], R], items: Sequence[T], address: str) -> Iterator[tuple[int, R]]:
    try:
        import ray
    except ImportError:
        raise NodeUnreachable("Ray is not installed: pip install 'dropper[ray]', "
                              "or run without --ray-address for the local pool") from None
    if not ray.is_initialized():
        _check_reachable(address)
        try:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False,
                     logging_level="ERROR", configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NodeUnreachable(f"Ray cluster at {address!r} did not answer: {first_line}") from None
    # ray.remote takes functions only; fn may be any picklable callable, so pass it along.
    remote = ray.remote(_apply)
    fn_ref = ray.put(fn)
    refs: dict[Any, int] = {remote.remote(fn_ref, item): index for index, item in enumerate(items)}
    try:
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                yield refs.pop(ref), ray.get(ref)
    finally:
        for ref in refs:
            ray.cancel(ref, force=True)
