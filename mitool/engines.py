"""Where many independent estimates run: this machine's processes, a Dask or a Ray cluster.

Every command that runs many estimates (``screen``, ``pairwise``, the replicates and
permutations of ``estimate``, ``benchmark``, ``trace``) takes the same two settings:
``--backend processes|dask|ray`` and ``--address ADDRESS`` (``--scheduler`` is Dask's older
spelling of ``--address``). :func:`engine` checks them, connects, yields the name that
:func:`mitool.parallel.parallel_map` takes, and disconnects when the block ends, whatever
happens inside it. The results never depend on the engine: each task carries its own seed.

**Without an address**, ``dask`` and ``ray`` use the client or connection already open in this
process (in Python: inside ``with distributed.Client(...)``, or after ``ray.init(...)``), and
otherwise stop with an error asking for ``--address``. No local cluster is started behind the
user's back: on one machine ``processes`` does the same work with less overhead (joblib maps
the table into every worker once), so a cluster only pays where it has other machines' cores.

Nothing here imports dask or ray until an engine is asked for, so ``import mitool`` and
``mitool --help`` stay light.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from mitool.errors import MitoolError

#: The engines, in the vocabulary of ``--backend``.
ENGINES = ("processes", "dask", "ray")
#: What to install for each engine that is not always there.
PIP = {
    "dask": "pip install 'mitool[dask]'",
    "ray": "pip install 'mitool[ray]'",
}
#: Seconds to wait for a scheduler or a Ray head before giving up.
CONNECT_TIMEOUT_S = 10

BACKEND_HELP = (
    "Where the tasks run: processes (worker processes on this machine, --jobs), dask or ray "
    "(the workers of the cluster at --address). Results are the same on every one."
)
ADDRESS_HELP = (
    "Address of the Dask scheduler (tcp://host:8786) or of the Ray cluster (host:6379, "
    "ray://host:10001, auto) for --backend dask or ray."
)
SCHEDULER_HELP = "The older name of --address (Dask)."


def resolve_address(address: str | None, scheduler: str | None) -> str | None:
    """``--address``, or its older name ``--scheduler``; both given must agree."""
    if address is not None and scheduler is not None and address != scheduler:
        raise MitoolError("--scheduler is the older name of --address; give one of them")
    return address if address is not None else scheduler


def check_engine(backend: str | None, address: str | None = None) -> str | None:
    """The joblib backend name for ``backend`` (None for ``processes``), without connecting.

    ``backend`` is one of :data:`ENGINES` (None means ``processes``); in Python, a backend
    registered with joblib (e.g. ``threading``) is also taken as it is, without an address.
    Raises a one-line :class:`MitoolError` for an unknown name or an address without an engine.
    """
    if backend is None or backend == "processes":
        if address is not None:
            raise MitoolError(
                f"--address {address} names a cluster: it needs --backend dask or ray"
            )
        return None
    if backend in ENGINES:
        return backend
    from joblib.parallel import BACKENDS

    if backend in BACKENDS and address is None:
        return backend  # a joblib backend named in Python (e.g. "threading")
    raise MitoolError(f"unknown backend '{backend}'; choose one of: {', '.join(ENGINES)}")


@contextmanager
def engine(backend: str | None, address: str | None = None) -> Iterator[str | None]:
    """Connect to the engine ``backend`` at ``address`` and yield the name for
    :func:`mitool.parallel.parallel_map` (None: worker processes on this machine).

    ``dask``: a ``distributed.Client(address)`` for the block (the current client when there is
    no address). ``ray``: ``ray.init(address=...)`` for the block, with joblib's ``ray`` backend
    registered (the connection already open when there is no address). What the block opened,
    it closes; a client or connection that was open before stays open.
    """
    name = check_engine(backend, address)
    if name == "dask":
        with _dask(address):
            yield name
    elif name == "ray":
        with _ray(address):
            yield name
    else:
        yield name


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def _dask(address: str | None) -> Iterator[None]:
    try:
        import distributed
    except ImportError:
        raise MitoolError(f"--backend dask needs dask.distributed: {PIP['dask']}") from None
    if address is None:
        try:
            distributed.default_client()
        except ValueError:
            raise MitoolError(
                "--backend dask needs --address ADDRESS, the Dask scheduler's (e.g. "
                "tcp://host:8786, printed by `dask scheduler`); on this machine alone, "
                "--backend processes does the same work"
            ) from None
        yield  # the client the caller opened: theirs to close
        return
    try:
        client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise MitoolError(
            f"cannot reach the Dask scheduler at {address}: {_one_line(exc)}"
        ) from None
    with client:
        yield


@contextmanager
def _ray(address: str | None) -> Iterator[None]:
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError:
        raise MitoolError(f"--backend ray needs ray: {PIP['ray']}") from None
    register_ray()  # "ray" as a joblib backend name too, for callers that use joblib directly
    if ray.is_initialized():
        if address is not None:
            raise MitoolError(
                "ray is already connected in this process; leave out --address to use that cluster"
            )
        yield  # the caller's connection: theirs to shut down
        return
    if address is None:
        raise MitoolError(
            "--backend ray needs --address ADDRESS, the Ray cluster's (e.g. host:6379 or "
            "ray://host:10001, printed by `ray start --head`; auto: the one started on this "
            "machine); on this machine alone, --backend processes does the same work"
        )
    _probe(address)
    try:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, OSError, RuntimeError, ValueError) as exc:
        raise MitoolError(f"cannot connect to Ray at {address}: {_one_line(exc)}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _probe(address: str) -> None:
    """Fail fast on a ``host:port`` that nothing answers: ``ray.init`` retries such an address
    for minutes and then exits the process (3.4 minutes, then SystemExit, with ray 2.60)."""
    if address == "auto" or "://" in address:
        return  # found by Ray itself (auto) or a Ray Client address, which fails fast
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise MitoolError(f"cannot connect to Ray at {address}: not host:port, ray://, or auto")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise MitoolError(
            f"cannot connect to Ray at {address}: {exc.strerror or _one_line(exc)}"
        ) from None
