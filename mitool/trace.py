"""Information-plane tracing: I(X; Z) and I(Z; Y) of hidden layers Z across training epochs.

From 'Towards Robust Scale-Invariant Mutual Information Estimators' (anonymous, under
review), §5.3, Figures 6 and 9, Appendix D.3/G, on the information plane of Shwartz-Ziv &
Tishby (2017): after every epoch, estimate the information a hidden layer Z keeps about the
inputs X and about the labels Y, and set it beside the scale of the features, |Z| (the mean
Euclidean norm of Z's rows). An unnormalised kNN estimate of I(X; Z) follows |Z|
(Proposition 3: Î(X; αZ) → 0 as α → 0 or ∞); a scale-invariant one
(``ksg/global-linf``) does not, so a trend it shows is a trend of the information.

A run is the inputs, the labels and one activation array per epoch and layer, rows aligned:

- an HDF5 file with ``/inputs`` (n, d_x), ``/labels`` (n,) and, for each epoch, a group
  ``/epoch_<number>`` holding one dataset per layer, e.g. ``/epoch_007/layer_3`` (n, d_z);
- a folder of .npy files: ``inputs.npy``, ``labels.npy`` and ``epoch_<number>_<layer>.npy``,
  e.g. ``epoch_007_layer_3.npy`` (the layer is the rest of the name).

Activations with more than two dimensions (convolutional maps) are flattened per row. Labels
that are whole numbers with at most :data:`MAX_CLASSES` distinct values are class labels, and
I(Z; Y) then uses the ``ross`` estimator (Ross 2014) with the pair's norm applied to Z; other
labels are continuous and use the pair's own estimator.

Every (epoch, layer, pair, quantity) estimate is an independent task. They run through
:func:`mitool.parallel.parallel_map` in chunks, and each finished chunk is appended to a JSON
lines file, one line per estimate, identified by its key, its settings and a digest of its
data, so a rerun (after an interruption, or with more epochs) computes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mitool.api import MitoolWarning, estimate
from mitool.benchmark import parse_pairs
from mitool.engines import ENGINES, check_engine, engine, resolve_address
from mitool.errors import InputError, MitoolError
from mitool.estimators import get_estimator
from mitool.estimators.discrete import label_codes
from mitool.parallel import parallel_map, resolve_jobs
from mitool.plotting import pyplot, save
from mitool.progress import progress_bar
from mitool.result import UNITS, convert
from mitool.validate import as_samples

#: The pairs traced by default: the raw estimator against the scale-invariant one (Fig. 6).
DEFAULT_PAIRS = ("ksg/none", "ksg/global-linf")
#: Quantities estimated for every epoch, layer and pair.
QUANTITIES = ("I(X;Z)", "I(Z;Y)")
#: Whole-number labels with at most this many distinct values are class labels (``auto``).
MAX_CLASSES = 256
Y_KINDS = ("auto", "discrete", "continuous")
#: Where the estimates run (:mod:`mitool.engines`).
BACKENDS = ENGINES
#: Damaged lines of the output file named one by one in the warning; the rest are counted.
_NAMED_LINES = 10
_NPY_MAGIC = b"\x93NUMPY"

_EPOCH_GROUP = re.compile(r"^epoch_?(\d+)$")
_EPOCH_FILE = re.compile(r"^epoch_?(\d+)_(.+)\.npy$")


# --- reading a run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A training run read from disk: X, Y and the chosen activations, rows aligned.

    Attributes
    ----------
    source : the run file or folder, as given.
    x : inputs, float64 (n, d_x).
    y : labels, float64 (n, d_y).
    activations : ``{(epoch, layer): Z}``, each float64 (n, d_z), in epoch then layer order.
    y_discrete : whether Y holds class labels (I(Z; Y) by the ``ross`` estimator).
    labels : where the labels came from (the file, or ``RUN:/dataset``), for messages.
    """

    source: str
    x: np.ndarray
    y: np.ndarray
    activations: dict[tuple[int, str], np.ndarray]
    y_discrete: bool
    labels: str = ""

    @property
    def epochs(self) -> list[int]:
        return sorted({e for e, _ in self.activations})

    @property
    def layers(self) -> list[str]:
        return list(dict.fromkeys(layer for _, layer in self.activations))


def list_run(path: str, *, x: str | None = None, y: str | None = None) -> dict[str, Any]:
    """What a run holds without loading it: ``{"inputs", "labels", "entries"}``, where
    ``entries`` maps (epoch, layer) to the dataset path (HDF5) or file (folder)."""
    if os.path.isdir(path):
        entries = {}
        for name in sorted(os.listdir(path)):
            match = _EPOCH_FILE.match(name)
            if match:
                entries[(int(match.group(1)), match.group(2))] = os.path.join(path, name)
        inputs = _in_folder(path, x or "inputs.npy")
        labels = _in_folder(path, y or "labels.npy")
    elif os.path.isfile(path):
        entries = _h5_entries(path)
        inputs, labels = x or "/inputs", y or "/labels"
    else:
        raise InputError(path, "no such run file or folder")
    if not entries:
        layout = (
            "epoch_<number>_<layer>.npy files"
            if os.path.isdir(path)
            else "/epoch_<number>/<layer> datasets"
        )
        raise InputError(path, f"holds no activations; expected {layout}")
    order = sorted(entries, key=lambda key: key[0])
    return {"inputs": inputs, "labels": labels, "entries": {key: entries[key] for key in order}}


def read_run(
    path: str,
    *,
    x: str | None = None,
    y: str | None = None,
    layers: Sequence[str] | None = None,
    epochs: Sequence[int] | None = None,
    y_kind: str = "auto",
) -> Run:
    """Read the inputs, labels and the chosen (default: all) epochs and layers of a run.

    Raises
    ------
    InputError
        Missing files or datasets, unknown layers or epochs, mismatched row counts.
    """
    if y_kind not in Y_KINDS:
        raise MitoolError(f"unknown kind of labels '{y_kind}'; choose one of: {', '.join(Y_KINDS)}")
    listing = list_run(path, x=x, y=y)
    entries: dict[tuple[int, str], str] = listing["entries"]
    known_layers = list(dict.fromkeys(layer for _, layer in entries))
    known_epochs = sorted({e for e, _ in entries})
    if layers is not None:
        unknown = [layer for layer in layers if layer not in known_layers]
        if unknown:
            raise InputError(
                path, f"has no layer {', '.join(unknown)}; it holds: {', '.join(known_layers)}"
            )
    if epochs is not None:
        missing = sorted(set(epochs) - set(known_epochs))
        if missing:
            raise InputError(
                path,
                f"has no epoch {', '.join(map(str, missing))}; it holds epochs "
                f"{_ranges(known_epochs)}",
            )
    chosen = [
        key
        for key in entries
        if (layers is None or key[1] in layers) and (epochs is None or key[0] in epochs)
    ]
    order = {layer: i for i, layer in enumerate(layers or known_layers)}
    chosen.sort(key=lambda key: (key[0], order[key[1]]))
    folder = os.path.isdir(path)
    xs = _load(path, listing["inputs"], folder, "inputs")
    ys = _load(path, listing["labels"], folder, "labels")
    if len(ys) != len(xs):
        raise InputError(_where(path, listing["labels"], folder), f"has {len(ys)} rows; the "
                         f"inputs have {len(xs)}")  # fmt: skip
    activations = {}
    for key in chosen:
        z = _load(path, entries[key], folder, f"epoch {key[0]}, layer {key[1]}")
        if len(z) != len(xs):
            raise InputError(
                _where(path, entries[key], folder), f"has {len(z)} rows; the inputs have {len(xs)}"
            )
        activations[key] = z
    labels = _where(path, listing["labels"], folder)
    return Run(path, xs, ys, activations, _is_discrete(ys, y_kind, labels), labels)


def _in_folder(folder: str, name: str) -> str:
    return name if os.path.isabs(name) else os.path.join(folder, name)


def _where(path: str, entry: str, folder: bool) -> str:
    return entry if folder else f"{path}:{entry}"


def _h5_entries(path: str) -> dict[tuple[int, str], str]:
    import h5py

    entries: dict[tuple[int, str], str] = {}
    try:
        with h5py.File(path, "r") as f:
            for name, group in f.items():
                match = _EPOCH_GROUP.match(name)
                if not match or not isinstance(group, h5py.Group):
                    continue
                inside: list[str] = []
                group.visititems(lambda inner, obj, seen=inside: seen.append(inner)
                                 if isinstance(obj, h5py.Dataset) else None)  # fmt: skip
                for inner in inside:
                    entries[(int(match.group(1)), inner)] = f"/{name}/{inner}"
    except OSError as exc:
        raise InputError(path, f"cannot read as HDF5: {str(exc).splitlines()[0]}") from None
    return entries


def _load(path: str, entry: str, folder: bool, what: str) -> np.ndarray:
    """One array of the run as float64 (n, d); more than two dimensions are flattened per row."""
    where = _where(path, entry, folder)
    if folder:
        if not os.path.isfile(entry):
            raise InputError(where, f"not found (the {what} of the run)")
        array = _load_npy(entry, what)
    else:
        import h5py

        try:
            with h5py.File(path, "r") as f:
                node = f.get(entry)
                if not isinstance(node, h5py.Dataset):
                    raise InputError(where, f"no such dataset (the {what} of the run)")
                array = node[()]
        except OSError as exc:
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(where, f"cannot read the {what} of the run: {problem}") from None
    array = np.asarray(array)
    if array.ndim > 2:
        array = array.reshape(len(array), -1)
    samples = as_samples(array, where)
    if not np.all(np.isfinite(samples)):
        raise InputError(where, "contains NaN or inf")
    return samples


def _load_npy(entry: str, what: str) -> np.ndarray:
    """One .npy file, or a one-line error naming it: empty, cut short, not a .npy file at all
    (np.load raises EOFError on an empty file, which the command line would take for Ctrl-D)."""
    try:
        with open(entry, "rb") as f:
            head = f.read(len(_NPY_MAGIC))
            if not head:
                raise InputError(
                    entry, f"is empty (0 bytes); expected a .npy array (the {what} of the run)"
                )
            if head != _NPY_MAGIC:
                raise InputError(entry, f"is not a .npy file (the {what} of the run)")
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except OSError as exc:
        raise InputError(entry, f"cannot read ({exc.strerror or exc})") from None
    except (ValueError, EOFError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else "the file ends too early"
        raise InputError(entry, f"cannot read as .npy: {problem}") from None


def _is_discrete(y: np.ndarray, y_kind: str, source: str) -> bool:
    whole = bool(np.all(y == np.round(y)))
    if y_kind == "continuous":
        return False
    if y_kind == "discrete":
        if not whole:
            raise InputError(source, "the labels are not whole numbers, so not class labels")
        return True
    return whole and len(np.unique(y, axis=0)) <= MAX_CLASSES


def _ranges(values: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` → ``0-2, 5``."""
    parts: list[str] = []
    for v in values:
        if parts and parts[-1][1] == v - 1:
            parts[-1] = (parts[-1][0], v)
        else:
            parts.append((v, v))  # type: ignore[arg-type]
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in parts)  # type: ignore[misc]


def parse_epochs(text: str) -> list[int]:
    """``"0-10,15,20"`` → the epochs, sorted."""
    epochs: set[int] = set()
    try:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            lo, _, hi = part.partition("-")
            a, b = int(lo), int(hi) if hi else int(lo)
            if b < a:
                raise ValueError
            epochs.update(range(a, b + 1))
    except ValueError:
        raise MitoolError(f"--epochs takes numbers and ranges like 0-10,15, got '{text}'") from None
    if not epochs:
        raise MitoolError("--epochs names no epoch")
    return sorted(epochs)


def feature_scale(z: np.ndarray) -> float:
    """|Z|: the mean Euclidean norm of the rows of Z (the paper's feature scale, Fig. 6)."""
    return float(np.mean(np.linalg.norm(z, axis=1)))


# --- the tasks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One estimate: a quantity of one layer at one epoch, by one estimator/norm pair."""

    epoch: int
    layer: str
    pair: str
    quantity: str
    estimator: str
    norm: str

    def identity(self, settings: dict[str, Any], digest: str) -> str:
        """What makes two estimates the same (the line's key in the output file)."""
        key = {
            "epoch": self.epoch,
            "layer": self.layer,
            "pair": self.pair,
            "quantity": self.quantity,
            "estimator": self.estimator,
            "norm": self.norm,
            **settings,
            "digest": digest,
        }
        return json.dumps(key, sort_keys=True)


def _digest(a: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=8).hexdigest()


def plan(run: Run, pairs: Sequence[str]) -> list[Task]:
    """Every task of the run, in order: epoch, layer, pair, then I(X; Z) before I(Z; Y)."""
    tasks = []
    for epoch, layer in run.activations:
        for pair in pairs:
            estimator, _, norm = pair.partition("/")
            tasks.append(Task(epoch, layer, pair, QUANTITIES[0], estimator, norm))
            if run.y_discrete:
                ross = get_estimator("ross")
                y_norm = norm if norm in ross.norms else "global"
                tasks.append(Task(epoch, layer, pair, QUANTITIES[1], "ross", y_norm))
            else:
                tasks.append(Task(epoch, layer, pair, QUANTITIES[1], estimator, norm))
    return tasks


def estimate_task(
    first: np.ndarray, second: np.ndarray, estimator: str, norm: str, k: int, seed: int,
    resamples: int, names: tuple[str, str] = ("X", "Z"),
) -> dict[str, Any]:  # fmt: skip
    """One estimate, its interval and its warnings, JSON-ready (what a worker runs).

    An estimate that cannot be made (e.g. a layer that is constant at some epoch, under a norm
    that divides by its spread) has the value None and says why in its warnings.
    """
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MitoolWarning)
            r = estimate(
                first, second, estimator=estimator, norm=norm, k=k, seed=seed,
                resamples=resamples, jobs=1, names=names,
            )  # fmt: skip
    except MitoolError as exc:
        seconds = time.perf_counter() - started
        missing = {"value": None, "ci_low": None, "ci_high": None, "c": None}
        return {**missing, "warnings": [f"no estimate: {exc}"], "seconds": seconds}
    return {
        "value": r.value,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "c": r.scale,
        "warnings": list(r.warnings),
        "seconds": time.perf_counter() - started,
    }


# --- the trace ----------------------------------------------------------------------------------


@dataclass
class TraceResult:
    """The estimates of a run, one record per task (those read back and those computed).

    Attributes
    ----------
    records : one dict per task, in task order (the JSON lines of the output file).
    pairs, epochs, layers : what was traced.
    scales : ``{(epoch, layer): |Z|}``.
    out : the JSON lines file.
    computed, reused : tasks computed now and tasks read back from ``out``.
    seconds : wall time.
    units : ``nats`` or ``bits``: the units of :meth:`curve`, :meth:`reported`, :meth:`to_dict`
        and the plots. The records (and the file) always hold nats.
    damaged_lines : numbers (from 1) of the lines of ``out`` that could not be read back and
        were skipped; the estimates they held were recomputed.
    """

    source: str
    records: list[dict[str, Any]]
    pairs: tuple[str, ...]
    epochs: list[int]
    layers: list[str]
    scales: dict[tuple[int, str], float]
    out: str
    y_discrete: bool
    computed: int = 0
    reused: int = 0
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    units: str = "nats"
    damaged_lines: list[int] = field(default_factory=list)
    _index: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict, repr=False)

    def value(self, epoch: int, layer: str, pair: str, quantity: str) -> dict[str, Any]:
        """The record of one estimate."""
        if len(self._index) != len(self.records):
            self._index = {(r["epoch"], r["layer"], r["pair"], r["quantity"]): r
                           for r in self.records}  # fmt: skip
        return self._index[(epoch, layer, pair, quantity)]

    def reported(self, epoch: int, layer: str, pair: str, quantity: str) -> dict[str, Any]:
        """The value, interval, estimator and norm of one estimate, in :attr:`units`."""
        record = self.value(epoch, layer, pair, quantity)
        return {
            **{key: self._in_units(record.get(key)) for key in ("value", "ci_low", "ci_high")},
            "estimator": record["estimator"],
            "norm": record["norm"],
        }

    def _in_units(self, nats: float | None) -> float | None:
        return None if nats is None else convert(float(nats), self.units)

    def curve(self, layer: str, pair: str, quantity: str) -> np.ndarray:
        """The quantity over the epochs, in :attr:`units` (NaN where there is no estimate)."""
        return np.array(
            [_num(self.reported(e, layer, pair, quantity)["value"]) for e in self.epochs]
        )

    def scale_curve(self, layer: str) -> np.ndarray:
        return np.array([self.scales[(e, layer)] for e in self.epochs])

    def correlations(self) -> dict[str, dict[str, float | None]]:
        """Pearson correlation of each pair's I(X; Z) with |Z| over the epochs, per layer
        (None with fewer than 3 epochs or a constant curve)."""
        out: dict[str, dict[str, float | None]] = {}
        for layer in self.layers:
            scale = self.scale_curve(layer)
            out[layer] = {
                pair: pearson(self.curve(layer, pair, QUANTITIES[0]), scale) for pair in self.pairs
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        from mitool import __version__

        return {
            "run": self.source,
            "out": self.out,
            "pairs": list(self.pairs),
            "epochs": self.epochs,
            "layers": self.layers,
            "labels": "discrete" if self.y_discrete else "continuous",
            "units": self.units,
            "settings": self.settings,
            "rows": [
                {
                    "epoch": e,
                    "layer": layer,
                    "scale_z": self.scales[(e, layer)],
                    "estimates": {
                        pair: {q: self.reported(e, layer, pair, q) for q in QUANTITIES}
                        for pair in self.pairs
                    },
                }
                for e in self.epochs
                for layer in self.layers
                if (e, layer) in self.scales
            ],
            "correlation_with_scale": self.correlations(),
            "computed": self.computed,
            "reused": self.reused,
            "damaged_lines": self.damaged_lines,
            "seconds": self.seconds,
            "version": __version__,
        }


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) < 3 or not np.all(np.isfinite(a)) or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def default_out(source: str) -> str:
    """``run.h5`` → ``run.trace.jsonl`` beside it; a folder → ``folder/trace.jsonl``."""
    if os.path.isdir(source):
        return os.path.join(source, "trace.jsonl")
    return os.path.splitext(source)[0] + ".trace.jsonl"


def read_done(out: str) -> dict[str, dict[str, Any]]:
    """The estimates already in the output file, by identity (damaged lines are skipped)."""
    return read_trace(out)[0]


def read_trace(out: str) -> tuple[dict[str, dict[str, Any]], list[int]]:
    """The estimates in the output file by identity, and the numbers (from 1) of the lines that
    could not be read back: not UTF-8, not JSON (e.g. cut short by an interruption), or not a
    whole record (a key missing, a value that is not a number). Blank lines are ignored. The
    tasks of damaged lines are simply not done, so they are recomputed."""
    done: dict[str, dict[str, Any]] = {}
    damaged: list[int] = []
    if not os.path.exists(out):
        return done, damaged
    try:
        with open(out, "rb") as f:
            for number, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                record = _parse_record(raw)
                if record is None:
                    damaged.append(number)
                else:
                    done[record["identity"]] = record
    except OSError as exc:
        raise MitoolError(f"{out}: cannot read the trace ({exc.strerror})") from None
    return done, damaged


#: Keys of a record and their types; a value that is None means "no estimate".
_NUMBERS = ("value", "ci_low", "ci_high")
_TEXTS = ("layer", "pair", "quantity", "estimator", "norm", "identity")


def _parse_record(raw: bytes) -> dict[str, Any] | None:
    """One line of the output file as a record, or None when it is damaged."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    if not isinstance(record.get("epoch"), int) or isinstance(record.get("epoch"), bool):
        return None
    if not all(isinstance(record.get(key), str) for key in _TEXTS):
        return None
    for key in _NUMBERS:
        if key not in record or not _is_number_or_none(record[key]):
            return None
    notes = record.get("warnings")
    if notes is not None and not (
        isinstance(notes, list) and all(isinstance(n, str) for n in notes)
    ):
        return None
    try:  # the record is the estimate its identity names
        identity = json.loads(record["identity"])
    except json.JSONDecodeError:
        return None
    if not isinstance(identity, dict) or "digest" not in identity:
        return None
    if any(record.get(key) != v for key, v in identity.items() if key != "digest"):
        return None
    return record


def _is_number_or_none(v: Any) -> bool:
    if v is None:
        return True
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _damage_note(out: str, damaged: Sequence[int]) -> str:
    """The one-line warning about the damaged lines of the output file."""
    named = ", ".join(map(str, damaged[:_NAMED_LINES]))
    more = f" and {len(damaged) - _NAMED_LINES} more" if len(damaged) > _NAMED_LINES else ""
    lines = "line" if len(damaged) == 1 else "lines"
    return (
        f"{out}: skipped {len(damaged)} damaged {lines} ({lines} {named}{more}: not a whole "
        f"record); any estimate they held is recomputed and appended"
    )


def _append(out: str, records: list[dict[str, Any]]) -> None:
    """Append one line per record; a last line without its newline (cut short, or damaged) is
    ended first, so that it stays a damaged line of its own and the next record is whole."""
    try:
        with open(out, "ab+") as f:
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.seek(0, os.SEEK_END)
                    f.write(b"\n")
            for record in records:
                f.write((json.dumps(record, allow_nan=False) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise MitoolError(f"{out}: cannot write the trace ({exc.strerror})") from None


def trace(
    run: Run,
    *,
    pairs: Sequence[str] | str = DEFAULT_PAIRS,
    k: int = 3,
    seed: int = 0,
    resamples: int = 0,
    jobs: int | None = None,
    progress: bool = False,
    out: str | None = None,
    backend: str = "processes",
    scheduler: str | None = None,
    chunk: int | None = None,
    address: str | None = None,
    units: str = "nats",
) -> TraceResult:
    """Estimate I(X; Z) and I(Z; Y) for every epoch, layer and estimator/norm pair of ``run``.

    Parameters
    ----------
    run : what :func:`read_run` returns.
    pairs : estimator/norm pairs, e.g. ``("ksg/none", "ksg/global-linf")``.
    k, seed, resamples : as in :func:`mitool.estimate` (``resamples`` = 0: no interval).
    jobs : worker processes (None: all cores); the output does not depend on it.
    progress : draw a progress bar on stderr.
    out : the JSON lines file the estimates are appended to (default: :func:`default_out`);
        the estimates already there, with the same settings and data, are not recomputed.
    backend, address : where the estimates run (:mod:`mitool.engines`): ``processes`` (this
        machine), ``dask`` or ``ray`` (the cluster at ``address``); ``scheduler`` is the older
        name of ``address``.
    chunk : tasks per appended chunk (default: twice the number of processes).
    units : ``nats`` or ``bits``, for what the result reports (the file always holds nats).

    Damaged lines of ``out`` (an interrupted write, an edit) are skipped with one
    :class:`~mitool.MitoolWarning` naming them, and their estimates are recomputed.
    """
    started = time.perf_counter()
    check_units(units)
    check_engine(backend, resolve_address(address, scheduler))  # before any work
    pairs = parse_pairs(pairs)
    if resamples < 0 or resamples == 1:
        raise MitoolError(f"resamples must be 0 (no interval) or at least 2, got {resamples}")
    if k < 1 or k >= len(run.x):
        raise MitoolError(f"k must be between 1 and n - 1 = {len(run.x) - 1}, got {k}")
    workers = resolve_jobs(jobs)
    if run.y_discrete:  # each label in at least 2 rows: checked once, here
        try:
            label_codes(run.y)
        except MitoolError as exc:
            raise InputError(run.labels or run.source, str(exc)) from None
    out = out or default_out(run.source)
    settings = {"k": k, "seed": seed, "resamples": resamples, "n": len(run.x)}
    digests = {"x": _digest(run.x), "y": _digest(run.y)}
    z_digests = {key: _digest(z) for key, z in run.activations.items()}
    scales = {key: feature_scale(z) for key, z in run.activations.items()}

    tasks = plan(run, pairs)
    identities = []
    for task in tasks:
        z = z_digests[(task.epoch, task.layer)]
        first, second = (digests["x"], z) if task.quantity == QUANTITIES[0] else (z, digests["y"])
        identities.append(task.identity(settings, f"{first}:{second}"))
    done, damaged = read_trace(out)
    if damaged:
        warnings.warn(_damage_note(out, damaged), MitoolWarning, stacklevel=2)
    todo = [i for i, identity in enumerate(identities) if identity not in done]
    size = chunk or max(2, 2 * workers)
    # The bar counts estimates, the unit of the summary ("N estimates computed").
    with (
        engine(backend, resolve_address(address, scheduler)) as where,
        progress_bar(len(todo), "estimates", progress) as advance,
    ):
        for start in range(0, len(todo), size):
            part = todo[start : start + size]
            results = parallel_map(
                estimate_task,
                [_arguments(run, tasks[i], k, seed, resamples) for i in part],
                jobs=jobs,
                backend=where,
            )
            records = [
                _record(tasks[i], identities[i], result, settings, scales)
                for i, result in zip(part, results, strict=True)
            ]
            _append(out, records)
            for i, record in zip(part, records, strict=True):
                done[identities[i]] = record
            advance(len(part))
    return TraceResult(
        source=run.source,
        records=[done[identity] for identity in identities],
        pairs=tuple(pairs),
        epochs=run.epochs,
        layers=run.layers,
        scales=scales,
        out=out,
        y_discrete=run.y_discrete,
        computed=len(todo),
        reused=len(tasks) - len(todo),
        seconds=time.perf_counter() - started,
        settings=settings,
        units=units,
        damaged_lines=damaged,
    )


def check_units(units: str) -> None:
    """``nats`` or ``bits`` (as for ``mitool estimate --units``), or a one-line error."""
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")


def _arguments(run: Run, task: Task, k: int, seed: int, resamples: int) -> tuple[Any, ...]:
    z = run.activations[(task.epoch, task.layer)]
    if task.quantity == QUANTITIES[0]:
        return (run.x, z, task.estimator, task.norm, k, seed, resamples, ("X", "Z"))
    return (z, run.y, task.estimator, task.norm, k, seed, resamples, ("Z", "Y"))


def _record(
    task: Task,
    identity: str,
    result: dict[str, Any],
    settings: dict[str, Any],
    scales: dict[tuple[int, str], float],
) -> dict[str, Any]:
    from mitool import __version__

    clean = {
        key: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for key, v in result.items()
    }
    return {
        "epoch": task.epoch,
        "layer": task.layer,
        "pair": task.pair,
        "quantity": task.quantity,
        "estimator": task.estimator,
        "norm": task.norm,
        **settings,
        **clean,
        "scale_z": scales[(task.epoch, task.layer)],
        "units": "nats",
        "version": __version__,
        "identity": identity,
    }


# --- plots --------------------------------------------------------------------------------------


def save_trace_plot(result: TraceResult, path: str) -> None:
    """I(X; Z) against epoch for each pair, |Z| on a second axis (Fig. 6 of 'Towards Robust
    Scale-Invariant Mutual Information Estimators'): one panel per layer (rows) and pair
    (columns), the interval shaded when there is one, a legend on every panel."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    rows, cols = len(result.layers), len(result.pairs)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.4 * cols, 3.0 * rows + 0.5), squeeze=False, constrained_layout=True
    )
    fig.suptitle(
        f"I(X; Z) by {', '.join(result.pairs)} and the feature scale |Z| over epochs\n"
        f"{result.source}",
        fontsize=10,
    )
    epochs = np.array(result.epochs)
    for i, layer in enumerate(result.layers):
        for j, pair in enumerate(result.pairs):
            ax = axes[i][j]
            recs = [result.reported(e, layer, pair, QUANTITIES[0]) for e in result.epochs]
            values = np.array([_num(r["value"]) for r in recs])
            ax.plot(epochs, values, color="tab:red", marker="o", markersize=3, label="I(X; Z)")
            if all(r["ci_low"] is not None for r in recs):
                low = np.array([_num(r["ci_low"]) for r in recs])
                high = np.array([_num(r["ci_high"]) for r in recs])
                ax.fill_between(epochs, low, high, color="tab:red", alpha=0.2, label="interval")
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(f"I(X; Z) ({result.units})", color="tab:red")
            ax.set_title(f"{pair} (estimator/norm), {layer}", fontsize=9)
            twin = ax.twinx()
            twin.plot(
                epochs, result.scale_curve(layer), color="tab:blue", linestyle="--", label="|Z|"
            )
            twin.set_ylabel("|Z| (mean row norm)", color="tab:blue")
            handles, labels = ax.get_legend_handles_labels()
            more, more_labels = twin.get_legend_handles_labels()
            twin.legend(handles + more, labels + more_labels, fontsize=7, loc="best")
    save(fig, path)


def save_plane_plot(result: TraceResult, path: str) -> None:
    """The information plane (Shwartz-Ziv & Tishby 2017): I(Z; Y) against I(X; Z), one panel
    per pair, points coloured by epoch (a colour bar with whole epochs), one marker and line
    per layer, named in every panel's legend."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    cols = len(result.pairs)
    fig, axes = plt.subplots(
        1, cols, figsize=(4.6 * cols + 0.8, 4.0), squeeze=False, constrained_layout=True
    )
    how = "ross" if result.y_discrete else "the pair's estimator"
    fig.suptitle(
        f"Information plane (Shwartz-Ziv & Tishby 2017), I(Z; Y) by {how}\n{result.source}",
        fontsize=10,
    )
    epochs = np.array(result.epochs)
    low, high = (float(epochs.min()), float(epochs.max())) if len(epochs) else (0.0, 1.0)
    markers = "os^Dvp*hX"
    scatter = None
    for j, pair in enumerate(result.pairs):
        ax = axes[0][j]
        handles = []
        for i, layer in enumerate(result.layers):
            marker = markers[i % len(markers)]
            xs = result.curve(layer, pair, QUANTITIES[0])
            ys = result.curve(layer, pair, QUANTITIES[1])
            ax.plot(xs, ys, color="0.7", linewidth=0.8, zorder=1)
            scatter = ax.scatter(
                xs, ys, c=epochs, cmap="viridis", vmin=low, vmax=high, marker=marker, s=22,
                zorder=2,
            )  # fmt: skip
            handles.append(
                Line2D([], [], color="0.7", marker=marker, markerfacecolor="0.3",
                       markeredgecolor="0.3", markersize=5, linewidth=0.8, label=layer)
            )  # fmt: skip
        ax.set_xlabel(f"I(X; Z) ({result.units})")
        ax.set_ylabel(f"I(Z; Y) ({result.units})")
        ax.set_title(f"{pair} (estimator/norm)", fontsize=9)
        ax.legend(handles=handles, title="layer", fontsize=7, title_fontsize=7, loc="best")
    if scatter is not None:
        fig.colorbar(scatter, ax=axes[0].tolist(), label="epoch", ticks=MaxNLocator(integer=True))
    save(fig, path)


def _num(v: float | None) -> float:
    return math.nan if v is None else float(v)
