"""Protocol definition machinery: parameters, columns, traces and the protocol base class.

A measurement protocol is a declaration plus two pure-ish functions (contracts §5):

- what it needs (``roles``), what it accepts (``params``) and what it writes (``columns``,
  ``traces``), all declared before the first point because HDF5's SWMR mode allows no new
  datasets once a run is writing;
- ``steps(params)``: the deterministic list of steps, so a resumed run can skip the steps it
  already holds;
- ``measure(roles, params, step)``: one step, returning one point (a dict) or a few.

A protocol knows nothing of files, progress bars, Ctrl-C, the CLI or analysis: the runner
(:mod:`protocols.runner`) owns those, and fits and figures register per protocol name in
:mod:`analysis.registry`.  What an instrument can do is asked of the bench
(:class:`BenchLike` ``capabilities(role)``), never written into a protocol.
"""

from __future__ import annotations

from pathlib import Path

import math
import re
from decimal import Decimal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from spinbench.instruments.capabilities import RoleCapabilities

__all__ = [
    "REQUIRED",
    "AdaptiveProtocol",
    "BenchLike",
    "CheckError",
    "OpenBenchLike",
    "Column",
    "MeasurementProtocol",
    "OptionalRole",
    "Param",
    "ParamError",
    "Roles",
    "Trace",
    "format_quantity",
    "optional",
    "validate_params",
]


class ParamError(ValueError):
    """A parameter value the protocol does not accept (user error, no traceback needed)."""


class CheckError(ValueError):
    """A protocol refuses to run on this bench (limits, missing roles), before any instrument opens."""


@runtime_checkable
class OpenBenchLike(Protocol):
    """What the runner needs of an opened bench (``instruments.OpenBench``, test fakes)."""

    def role(self, name: str) -> Any:
        """The object filling role ``name``."""
        ...

    def snapshot(self) -> Mapping[str, Any]:
        """Identity and settings of every instrument (stored in the run file)."""
        ...

    def checkpoint(self, token: int) -> None:
        """Called before each step (contracts section 6)."""
        ...


@runtime_checkable
class BenchLike(Protocol):
    """What the runner and a protocol's ``check`` need of a not-yet-opened bench
    (``instruments.Bench``; the test fakes implement the same).  Nothing here opens anything."""

    #: bench name (stored in the run file)
    name: str
    #: role name -> instrument name
    roles: Mapping[str, str]

    @property
    def text(self) -> str:
        """The bench file as loaded (stored in the run file)."""
        ...

    def limits(self, role: str) -> Mapping[str, float]:
        """Safety limits of the instrument in ``role`` (``KeyError``: no such role)."""
        ...

    def capabilities(self, role: str, protocol: type | None = None) -> RoleCapabilities:
        """What the instrument in ``role`` can do as role ``protocol`` (default: the role's own
        type), from the bench file and the driver class (``KeyError``: no such role)."""
        ...

    def fills(self, role: str, protocol: type) -> bool:
        """Whether the instrument in ``role`` also fills role protocol ``protocol``."""
        ...

    def open(self, *, sim_clock: str | None = None,
             sim_fresh: bool = False) -> AbstractContextManager[OpenBenchLike]:
        """Open every instrument; closing makes them safe.  ``sim_clock`` / ``sim_fresh``
        matter to a simulated bench only (the runner asks for ``"virtual"`` and a fresh bench,
        so a seed reproduces a run); other benches accept and ignore them."""
        ...


class _Required:
    """Sentinel: a parameter without a default must be given by the user."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a parameter the user must give.
REQUIRED: Any = _Required()

#: SI prefixes accepted in front of a unit (``1ms``, ``20 mA``, ``5GHz``, ``10uT``): exponents.
SI_PREFIXES: Mapping[str, int] = {
    "y": -24, "z": -21, "a": -18, "f": -15, "p": -12, "n": -9,
    "u": -6, "µ": -6, "μ": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12,
}

#: Units that are logarithmic or dimensionless: no SI prefix applies to them.
_NO_PREFIX_UNITS = frozenset({"dBm", "dB", "%", ""})

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*(.*?)\s*$")
_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n"})


def format_quantity(value: Any, unit: str = "") -> str:
    """Format ``value`` with its unit for messages (``2e-3 s``, ``'up'``, ``(1, 2) A``)."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, tuple):
        text = "(" + ", ".join(format_quantity(v) for v in value) + ")"
    else:
        text = str(value)
    return f"{text} {unit}" if unit and not isinstance(value, (str, bool)) else text


@dataclass(frozen=True)
class Param:
    """One protocol parameter: name, unit, type, default, allowed values, doc.

    Parameters
    ----------
    name
        Python identifier used on the CLI (``--param pulse_width=1ms``) and in the run file.
    unit
        SI unit (``"s"``, ``"A"``, ``"T"``, ``"Hz"``, ``"dBm"``); ``""`` for dimensionless.
    type
        ``float``, ``int``, ``bool`` or ``str``: the type of one value.
    default
        Value used when the user gives none; :data:`REQUIRED` if the user must give it.
    bounds
        Inclusive ``(low, high)`` for numbers; either end may be ``None`` (open).
    choices
        Allowed values (for ``str`` or discrete numbers).
    doc
        One line shown by ``spinbench protocols``.
    sequence
        If true the value is a tuple of ``type`` (CLI: comma-separated, ``1ms,2ms,5ms``);
        bounds and choices apply to each element.
    """

    name: str
    unit: str = ""
    type: type = float
    default: Any = REQUIRED
    bounds: tuple[float | None, float | None] | None = None
    choices: tuple[Any, ...] | None = None
    doc: str = ""
    sequence: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} is not an identifier")
        if self.type not in (float, int, bool, str):
            raise TypeError(f"parameter {self.name}: type must be float, int, bool or str")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if self.default is not REQUIRED:
            object.__setattr__(self, "default", self.validate(self.default))

    @property
    def required(self) -> bool:
        """Whether the user must give this parameter."""
        return self.default is REQUIRED

    # -- parsing ---------------------------------------------------------------------------
    def parse(self, text: str) -> Any:
        """Parse a CLI string (``"1e-3"``, ``"1ms"``, ``"20 mA"``, ``"true"``) and validate it.

        Raises
        ------
        ParamError
            Naming the parameter, the text and what was expected.
        """
        if self.sequence:
            parts = [p for p in text.split(",") if p.strip()]
            return self.validate(tuple(self._parse_one(p) for p in parts))
        return self.validate(self._parse_one(text))

    def _parse_one(self, text: str) -> Any:
        text = text.strip()
        if self.type is str:
            return text
        if self.type is bool:
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ParamError(f"{self.name} = {text!r}: expected true/false")
        match = _NUMBER.match(text)
        if match is None:
            raise ParamError(f"{self.name} = {text!r}: not a number{self._unit_hint()}")
        number, suffix = match.group(1), match.group(2)
        exponent = self._suffix_exponent(text, suffix)
        decimal = Decimal(number)
        if decimal.is_finite():
            decimal = decimal.scaleb(exponent)  # exact: "20us" -> 2e-05, not 1.9999e-05
        if self.type is int:
            if not decimal.is_finite() or decimal != decimal.to_integral_value():
                raise ParamError(f"{self.name} = {text!r}: expected an integer")
            return int(decimal)
        return float(decimal)

    def _suffix_exponent(self, text: str, suffix: str) -> int:
        """Power of ten of a unit suffix: ``""``, the unit, or an SI prefix (+ the unit)."""
        suffix = suffix.strip()
        if suffix in ("", self.unit):
            return 0
        if self.unit and suffix.endswith(self.unit):
            prefix = suffix[: -len(self.unit)].strip()
        else:
            prefix = suffix
        if self.unit not in _NO_PREFIX_UNITS or not self.unit:
            if prefix in SI_PREFIXES:
                return SI_PREFIXES[prefix]
        raise ParamError(f"{self.name} = {text!r}: unknown unit {suffix!r}{self._unit_hint()}")

    def _unit_hint(self) -> str:
        return f" (unit: {self.unit})" if self.unit else ""

    # -- validation ------------------------------------------------------------------------
    def validate(self, value: Any) -> Any:
        """Coerce ``value`` to the parameter's type and check bounds/choices.

        Strings are parsed as on the CLI. Returns the validated value (a tuple for
        ``sequence`` parameters).

        Raises
        ------
        ParamError
            Naming the parameter, the value and the allowed range or choices.
        """
        if self.sequence:
            if isinstance(value, str):
                return self.parse(value)
            if not isinstance(value, Sequence):
                value = (value,)
            if len(value) == 0:
                raise ParamError(f"{self.name}: needs at least one value")
            return tuple(self._validate_one(v) for v in value)
        if isinstance(value, str) and self.type is not str:
            return self._validate_one(self._parse_one(value))
        return self._validate_one(value)

    def _validate_one(self, value: Any) -> Any:
        value = self._coerce(value)
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(format_quantity(c) for c in self.choices)
            raise ParamError(
                f"{self.name} = {format_quantity(value, self.unit)} is not allowed; "
                f"choose one of: {allowed}"
            )
        if self.bounds is not None and self.type in (int, float):
            low, high = self.bounds
            if (low is not None and value < low) or (high is not None and value > high):
                raise ParamError(
                    f"{self.name} = {format_quantity(value, self.unit)} is out of range "
                    f"{self.range_text()}"
                )
        return value

    def _coerce(self, value: Any) -> Any:
        kind = self.type.__name__
        if self.type is str:
            if self.choices is not None and {"true", "false"} <= set(self.choices):
                # a switch with more states ("auto"): booleans and yes/no/on/off are its true/false
                if isinstance(value, bool):
                    return "true" if value else "false"
                if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
                    return "true" if value.lower() in _TRUE else "false"
            if not isinstance(value, str):
                raise ParamError(f"{self.name} = {value!r}: expected a string")
            return value
        if isinstance(value, str):
            return self._parse_one(value)
        if self.type is bool:
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise ParamError(f"{self.name} = {value!r}: expected true/false")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParamError(f"{self.name} = {value!r}: expected a {kind}") from None
        if isinstance(value, bool):
            raise ParamError(f"{self.name} = {value!r}: expected a {kind}, not a bool")
        if self.type is int:
            if not math.isfinite(number) or number != int(number):
                raise ParamError(f"{self.name} = {value!r}: expected an integer")
            return int(number)
        if math.isnan(number):
            raise ParamError(f"{self.name} = nan: not a number")
        return number

    def range_text(self) -> str:
        """Human-readable allowed values: ``[1e-09, 0.001] s``, ``{up, down}`` or ``any``."""
        if self.choices is not None:
            return "{" + ", ".join(format_quantity(c) for c in self.choices) + "}"
        if self.bounds is None:
            return "any"
        low, high = self.bounds
        low_text = "-inf" if low is None else f"{low:.6g}"
        high_text = "inf" if high is None else f"{high:.6g}"
        return f"[{low_text}, {high_text}]" + (f" {self.unit}" if self.unit else "")

    def describe(self) -> str:
        """One line for ``spinbench protocols``: name, unit, default, range, doc."""
        default = "(required)" if self.required else format_quantity(self.default)
        unit = f" [{self.unit}]" if self.unit else ""
        many = " (comma-separated list)" if self.sequence else ""
        doc = f"  {self.doc}" if self.doc else ""
        return f"{self.name}{unit} = {default}  range {self.range_text()}{many}{doc}"


@dataclass(frozen=True)
class Column:
    """A scalar data column of the run file: one value per point.

    Parameters
    ----------
    name
        Dataset name; ``step`` and ``timestamp`` are reserved for the runner.
    unit
        SI unit stored in the dataset's ``units`` attribute.
    dtype
        NumPy dtype string (``"f8"``, ``"i8"``, ``"bool"``).
    doc
        One line stored as the dataset's ``doc`` attribute.
    """

    name: str
    unit: str = ""
    dtype: str = "f8"
    doc: str = ""


@dataclass(frozen=True)
class Trace:
    """A fixed-length 1-D record per point (spectrum, waveform), stored as a 2-D dataset.

    A point gives a trace either as ``values`` (length ``length``) or as ``(axis, values)``.
    With ``axis_per_point=False`` the axis (frequencies, times) is the same for every point and
    is stored once, from the first point that gives it; otherwise it is stored per point.
    """

    name: str
    unit: str
    axis_name: str
    axis_unit: str
    length: int
    axis_per_point: bool = False
    doc: str = ""


@dataclass(frozen=True)
class OptionalRole:
    """Marks a role the protocol uses when the bench has it (see :func:`optional`)."""

    role: type


def optional(role: type) -> OptionalRole:
    """Declare an optional role: ``roles = {"gaussmeter": optional(Gaussmeter)}``."""
    return OptionalRole(role)


class Roles(Mapping[str, Any]):
    """The role objects given to ``measure``: ``roles["field"]`` or ``roles.field``.

    An optional role the bench lacks is absent (``"gaussmeter" in roles`` is false and
    ``roles.get("gaussmeter")`` is ``None``).
    """

    def __init__(self, objects: Mapping[str, Any],
                 capabilities: Callable[..., RoleCapabilities] | None = None) -> None:
        self._objects = dict(objects)
        self._capabilities = capabilities

    def capabilities(self, name: str, protocol: type | None = None) -> RoleCapabilities:
        """What the instrument in role ``name`` can do (as role ``protocol`` if given): the
        bench's :meth:`BenchLike.capabilities`, the same object the protocol's ``check`` read."""
        if self._capabilities is None:
            raise LookupError("these roles carry no bench capabilities")
        return self._capabilities(name, protocol)

    def __getitem__(self, name: str) -> Any:
        return self._objects[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_objects"][name]
        except KeyError:
            raise AttributeError(f"no role {name!r} on this bench") from None

    def __repr__(self) -> str:
        return f"Roles({sorted(self._objects)})"


def validate_params(
    declared: Sequence[Param], given: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Check user values against declared parameters and fill in defaults.

    Parameters
    ----------
    declared
        The protocol's parameters.
    given
        Name -> value or CLI string. Unknown names and missing required names are errors.

    Returns
    -------
    dict
        Every declared parameter, in declaration order, validated.

    Raises
    ------
    ParamError
        For the first problem found, with a message naming the parameter.
    """
    given = dict(given or {})
    by_name = {p.name: p for p in declared}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ParamError(f"unknown parameter {unknown[0]!r}; known parameters: {known}")
    values: dict[str, Any] = {}
    for param in declared:
        if param.name in given:
            values[param.name] = param.validate(given[param.name])
        elif param.required:
            raise ParamError(f"missing required parameter {param.name}{param._unit_hint()}")
        else:
            values[param.name] = param.default
    return values


class MeasurementProtocol:
    """Base class of measurement protocols (contracts §5).

    Subclasses set the class attributes and implement :meth:`steps` and :meth:`measure`;
    they may override :meth:`check`, :meth:`setup`, :meth:`teardown` and :meth:`analyze`.
    """

    #: Registry name, used on the CLI (``spinbench run <name>``).
    name: ClassVar[str] = ""
    #: One line shown by ``spinbench protocols``.
    description: ClassVar[str] = ""
    #: Role name -> role ``typing.Protocol`` class, or :func:`optional` of one.
    roles: ClassVar[Mapping[str, type | OptionalRole]] = {}
    #: Declared parameters.
    params: ClassVar[tuple[Param, ...]] = ()
    #: Scalar columns written per point.
    columns: ClassVar[tuple[Column, ...]] = ()
    #: Traces written per point.
    traces: ClassVar[tuple[Trace, ...]] = ()

    # -- declarations ----------------------------------------------------------------------
    @classmethod
    def required_roles(cls) -> dict[str, type]:
        """Roles the bench must provide."""
        return {k: v for k, v in cls.roles.items() if not isinstance(v, OptionalRole)}

    @classmethod
    def optional_roles(cls) -> dict[str, type]:
        """Roles used when present."""
        return {k: v.role for k, v in cls.roles.items() if isinstance(v, OptionalRole)}

    @classmethod
    def param(cls, name: str) -> Param:
        """The declared parameter called ``name``."""
        for param in cls.params:
            if param.name == name:
                return param
        raise KeyError(name)

    @classmethod
    def validate_params(cls, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Validated parameters with defaults filled in (see :func:`validate_params`)."""
        return validate_params(cls.params, given)

    @classmethod
    def param_units(cls) -> dict[str, str]:
        """Parameter name -> unit."""
        return {p.name: p.unit for p in cls.params}

    # -- the protocol itself ---------------------------------------------------------------
    def resolve_params(self, params: dict[str, Any], bench: BenchLike) -> dict[str, Any]:
        """The validated parameters with what they leave to the bench filled in (a default file
        beside the bench file, ...), before :meth:`check`; the run file records the result.
        The default returns them unchanged."""
        return params

    @staticmethod
    def beside_bench(bench: BenchLike, param: str, suffix: str = ".npz") -> str:
        """The file beside ``bench``'s file with its name and ``suffix`` (a built-in bench's
        trained network, ``rf-network.npz``), for a parameter left empty; a clear error
        naming ``param`` when there is none."""
        path = getattr(bench, "path", None)
        companion = Path(path).with_suffix(suffix) if path else None
        if companion is None or not companion.is_file():
            raise CheckError(f"{param}: give the file ({suffix}); the bench has none beside it "
                             f"({companion or 'no bench file'})")
        return str(companion)

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        """Refuse to run, before any instrument is opened, what the bench forbids.

        The default refuses nothing. ``bench`` is the not-yet-opened bench: use
        ``bench.limits(role)`` (or :meth:`require_within_limit`) for safety limits and
        ``bench.capabilities(role)`` for what the instrument can do (widths, list lengths,
        periods, frequency and power ranges): ``caps.width.require(value, "param")`` raises
        ``CapabilityError``, which the runner reports like a :class:`CheckError`.

        Raises
        ------
        CheckError
            With a message naming the parameter, its value and the limit.
        """

    def require_within_limit(
        self,
        bench: BenchLike,
        role: str,
        limit: str,
        value: float,
        param: str,
    ) -> None:
        """Raise :class:`CheckError` if ``|value|`` exceeds ``bench.limits(role)[limit]``.

        A bench that declares no such limit for the role (or lacks the role) accepts any
        value.
        """
        try:
            limits = bench.limits(role) or {}
        except KeyError:
            return
        bound = limits.get(limit)
        if bound is None:
            return
        if abs(value) > bound:
            unit = self.param(param).unit if param in {p.name for p in self.params} else ""
            raise CheckError(
                f"{param} = {format_quantity(float(value), unit)} exceeds the bench limit "
                f"{role}.{limit} = {format_quantity(float(bound), unit)}"
            )

    def steps(self, params: Mapping[str, Any]) -> Sequence[Any]:
        """The run's steps, in order; deterministic for given ``params`` (resume relies on it)."""
        raise NotImplementedError

    def measure(
        self, roles: Roles, params: Mapping[str, Any], step: Any
    ) -> Mapping[str, Any] | list[Mapping[str, Any]]:
        """Measure one step; return one point (column/trace name -> value) or a list of points."""
        raise NotImplementedError

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        """Prepare the instruments once, after the bench opens (and again on resume)."""

    def replay_from(self, params: Mapping[str, Any], steps: Sequence[Any], k: int) -> int:
        """On resume at step ``k``: the first step to measure again, unrecorded, before it.  A
        hysteretic protocol (a loop) returns the step where the branch leading to ``k`` began,
        so the device is brought back to its state at ``k`` the way it first got there; the
        default ``k`` re-measures nothing (each step prepares its own state)."""
        return k

    def teardown(self, roles: Roles) -> None:
        """Protocol-specific cleanup; the bench itself makes outputs safe when it closes."""


class AdaptiveProtocol(MeasurementProtocol):
    """A protocol whose next step depends on what the earlier ones measured (stochastic
    bisection, closed loops): every decision is a step the runner checkpoints.

    Instead of a fixed :meth:`steps` list, the runner asks :meth:`next_step` before each step,
    with the ``history`` of the completed steps: ``history[k]`` is the list of points of step
    ``k`` exactly as the run file holds them (every declared column, as a Python scalar).  On
    resume the runner rebuilds the history from the file, so the run continues at the decision
    where it stopped and -- the simulated bench reseeding per step (contracts section 6) --
    gives the same points as an uninterrupted run.  A decision must therefore depend only on
    ``params`` and recorded columns, never on state kept in the protocol object.
    """

    def steps(self, params: Mapping[str, Any]) -> Sequence[Any]:
        raise TypeError(f"{self.name} is adaptive: the runner asks next_step(), not steps()")

    def max_steps(self, params: Mapping[str, Any]) -> int:
        """Upper bound on the number of steps (progress bar, the run file's ``n_steps``)."""
        raise NotImplementedError

    def next_step(self, params: Mapping[str, Any],
                  history: Sequence[Sequence[Mapping[str, Any]]]) -> Any | None:
        """The step after ``len(history)`` completed ones, or ``None`` when done."""
        raise NotImplementedError
