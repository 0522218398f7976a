"""The ``@spinbench`` VISA library: pyvisa's backend for the simulated bench (DESIGN, contracts §2).

``pyvisa.ResourceManager("<bench>@spinbench")`` imports :mod:`pyvisa_spinbench`, whose
``WRAPPER_CLASS`` is :class:`SpinbenchVisaLibrary`; the text before ``@`` (``library_path``)
names a built-in sim bench or a bench YAML file.  The library owns what a VISA implementation
owns -- sessions, attributes, termination, END, byte counts, locks, events -- and hands whole
program messages to the emulators (:class:`sim_backend.scpi.Emulator`), which own the bytes.

Behaviour follows the VISA specification (IVI VPP-4.3, "viRead", "viWrite", "viLock") and what
NI-VISA does where the specification leaves room:

* a read ends at the termination character when ``VI_ATTR_TERMCHAR_EN`` is set
  (``VI_SUCCESS_TERM_CHAR``), at END (``VI_SUCCESS``), or when ``count`` bytes were read
  (``VI_SUCCESS_MAX_CNT``).  Serial lines have no END: there the termination character ends a
  read when ``VI_ATTR_ASRL_END_IN`` is ``VI_ASRL_END_TERMCHAR`` (the default);
* a write is one program message when ``VI_ATTR_SEND_END_EN`` is set or it ends in a newline;
  otherwise its bytes wait in the device's input buffer for the rest of the message (a serial
  device acts on a line end, and ``VI_ATTR_ASRL_END_OUT = VI_ASRL_END_TERMCHAR`` appends the
  termination character);
* a read with no response pending would time out on a real bench.  Nothing in the simulated
  bench can produce a response later (emulators never sleep), so the timeout error is raised at
  once instead of after ``VI_ATTR_TMO_VALUE``, and message-based devices that see the read
  (GPIB talk addressing, USBTMC ``REQUEST_DEV_DEP_MSG_IN``) queue ``-420 Query UNTERMINATED``.

One simulated world per bench path: pyvisa caches one library instance per library path and
pymeasure opens one resource manager per instrument, so every resource manager of a bench path
talks to the same emulators.  The bench outlives its sessions, as a real one does: closing
resources or every resource manager leaves coil currents, outputs and the device's
magnetization as they are, and a new resource manager in the same process finds them so.  Only
an explicit reset changes that (:meth:`SpinbenchVisaLibrary.reset`, :func:`reset_benches`, or
an instrument's own ``*RST`` for that instrument's settings).  Setting
``VI_ATTR_USER_DATA`` on any session re-seeds the world's random stream
(:meth:`SimWorld.checkpoint`), which is how a resumed run reproduces an uninterrupted one.
"""
from __future__ import annotations

import itertools
from typing import Any, SupportsInt

from pyvisa import constants, errors, highlevel, rname
from pyvisa.constants import InterfaceType, ResourceAttribute, StatusCode
from pyvisa.util import LibraryPath

from . import benches
from . import clock as _clock_mod
from .clock import ClientClock, resolve_mode
from .visa_sessions import (_KNOWN, _WRITABLE, _default_attributes, _io_error, _key, _parse,
                            _ResourceLock, _Session, _SharedBench, _split_options, reset_benches)

__all__ = ["DEFAULT_BENCH", "SpinbenchVisaLibrary", "reset_benches"]

# ------------------------------------------------------------------------------------ constants

_A = ResourceAttribute
_TMO = int(_A.timeout_value)
_TERMCHAR = int(_A.termchar)
_TERMCHAR_EN = int(_A.termchar_enabled)
_SEND_END = int(_A.send_end_enabled)
_END_IN = int(_A.asrl_end_in)
_END_OUT = int(_A.asrl_end_out)
_AVAIL_NUM = constants.VI_ATTR_ASRL_AVAIL_NUM
_LOCK_STATE = int(_A.resource_lock_state)
_USER_DATA = int(_A.user_data)
_EVENT_TYPE = int(constants.EventAttribute.event_type)

_END_TERMCHAR = int(constants.SerialTermination.termination_char)
_VI_TMO_INFINITE = constants.VI_TMO_INFINITE
#: world seconds an infinite wait for a service request lasts at most (a repeating burst on the
#: timeline would otherwise keep it going forever)
INFINITE_WAIT = 3600.0
_RQS = 0x40  # IEEE 488.2 status byte: request service

_SUCCESS = StatusCode.success
_TERM_READ = StatusCode.success_termination_character_read
_MAX_READ = StatusCode.success_max_count_read

#: default bench of a bare ``"@spinbench"``
DEFAULT_BENCH = "sot-hallbar"

#: buffers a flush may discard
_DISCARD_READ = int(constants.BufferOperation.discard_read_buffer) | int(
    constants.BufferOperation.discard_read_buffer_no_io)
_DISCARD_RECEIVE = int(constants.BufferOperation.discard_receive_buffer) | int(
    constants.BufferOperation.discard_receive_buffer2)
_DISCARD_WRITE = int(constants.BufferOperation.discard_write_buffer) | int(
    constants.BufferOperation.discard_transmit_buffer)


# ------------------------------------------------------------------------------------- library


def _clocked(op):
    """The VISA operation ``op`` (an unbound method), preceded by this client's wall-time
    accounting (:mod:`sim_backend.clock`): nothing in ``virtual`` mode; in ``sleep`` mode, a gap
    since the client's last call longer than the threshold idles the world first, which is
    :meth:`ClientClock.enter`/:meth:`~ClientClock.leave` inlined, so that a client that is not
    waiting pays two clock reads per call (benchmarks/bench_visa.py); ``wall`` mode through
    :meth:`SpinbenchVisaLibrary._timed`."""

    def call(self, session, *args):
        clock = self._clock
        mode = clock.mode
        if mode == "virtual":
            return op(self, session, *args)
        if mode != "sleep":
            return self._timed(op, session, *args)
        t = _clock_mod.wall_time()
        last = clock._last
        if last is not None and t - last > clock.threshold:
            self._idle_gap(t - last)
        try:
            return op(self, session, *args)
        finally:
            clock._last = _clock_mod.wall_time()

    call.__name__ = op.__name__.lstrip("_")
    call.__qualname__ = op.__qualname__.replace("._", ".")
    call.__doc__ = op.__doc__
    return call


class _IgnoredWarnings:
    """``VisaLibraryBase.ignore_warning`` as a plain context manager (pyvisa's is a
    ``contextlib`` generator, a fifth of the cost of a read on this library).  Same behaviour,
    including on an exception: pyvisa's generator does not run its clean-up then, so the
    warnings stay ignored for the session, and neither does this one."""

    __slots__ = ("_ignored", "_codes")

    def __init__(self, ignored: set, codes: tuple) -> None:
        self._ignored = ignored
        self._codes = codes

    def __enter__(self) -> None:
        self._ignored.update(self._codes)

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self._ignored.difference_update(self._codes)
        return False


class SpinbenchVisaLibrary(highlevel.VisaLibraryBase):
    """pyvisa backend that talks to the emulators of a simulated bench (``<bench>@spinbench``)."""

    @staticmethod
    def get_library_paths() -> tuple[LibraryPath, ...]:
        return (LibraryPath(DEFAULT_BENCH, "spinbench default bench"),)

    @staticmethod
    def get_debug_info() -> dict[str, str]:
        return {"Backend": "spinbench simulated bench",
                "Built-in benches": ", ".join(benches.builtin_benches())}

    # ------------------------------------------------------------------ lifetime
    def _init(self) -> None:
        spec, options = _split_options(str(self.library_path) or DEFAULT_BENCH)
        # resolve now, so a wrong bench name fails at ResourceManager(...) with the known names
        path = benches.resolve(spec).resolve()
        self._shared = _SharedBench.get(path)
        self._lock = self._shared.lock
        self._clock_option = options.get("clock")
        #: a client that starts from the bench file's state when no one else uses the bench
        self._fresh = options.get("fresh") == "1"
        #: this client's wall-time accounting (sim_backend.clock): virtual, sleep or wall
        self._clock = ClientClock(resolve_mode(self._clock_option, self._shared.sim_clock()))
        self._shared.libraries.add(self)
        self._handles = itertools.count(0x5B00_0001)
        self._rm_sessions: dict[int, dict[int, Any]] = {}
        self._sessions: dict[int, _Session] = {}
        self._events: dict[int, int] = {}  # event context -> event type

    @property
    def clock_mode(self) -> str:
        """How this client's wall time moves the world clock: virtual, sleep or wall."""
        return self._clock.mode

    def _restart_clock(self) -> None:
        self._clock = ClientClock(self._clock.mode)

    def hold(self, seconds: float) -> None:
        """The client keeps every output as it is for ``seconds``: a driver's software-timed
        wait (a pulse made by output on, wait, output off), which on a real bench is host time
        the device sees.  A ``virtual`` client's clock does not see host time, so the wait is
        a step of the world clock (:meth:`SimWorld.idle`; integrated under the present drive
        when the next command changes it).  A ``sleep`` or ``wall`` client really waits, and
        its clock counts the gap as it counts any sleep."""
        seconds = float(seconds)
        if not seconds >= 0.0 or seconds == float("inf"):
            raise ValueError(f"hold time must be a finite number of seconds >= 0, got {seconds!r}")
        if self._clock.mode != "virtual":
            _clock_mod.wall_sleep(seconds)
            return
        with self._lock:
            self._shared.built().world.idle(seconds)

    def _timed(self, op, session: int, *args):
        """``op(self, session, *args)`` after advancing the world by this client's waiting since
        its last call (:class:`~sim_backend.clock.ClientClock`); a wall-mode client then waits
        for wall time to catch up, outside the bench lock."""
        clock = self._clock
        world = None
        try:
            with self._lock:
                world = self._shared.built().world
                gap = clock.enter(world.now)
                if gap:
                    world.idle(gap)
                return op(self, session, *args)
        finally:
            if world is not None:
                clock.leave(world.now)

    def _idle_gap(self, gap: float) -> None:
        """A sleep-mode client waited ``gap`` seconds since its last call: the world idles."""
        with self._lock:
            (self._shared.bench or self._shared.built()).world.idle(gap)

    @property
    def bench(self) -> benches.SimBench:
        """The simulated bench (world and emulators), built on first use."""
        with self._lock:
            return self._shared.built()

    @property
    def world(self):
        """The :class:`~sim_backend.world.SimWorld` all sessions of this bench path act on."""
        return self.bench.world

    def emulator(self, resource_name: str):
        """The emulator behind a resource name (any spelling pyvisa accepts, or an alias)."""
        return self.bench.emulators[self._canonical(resource_name)]

    def reset(self) -> None:
        """The bench-level reset: discard the world (device, coils, every instrument's state)
        and build a fresh one from the bench file; open sessions talk to the new emulators."""
        self._shared.reset()

    def inject_fault(self, resource_name: str, **spec: Any) -> Any:
        """Make the instrument at ``resource_name`` fail as ``spec`` says (:mod:`sim_backend.faults`:
        ``kind=`` and one trigger); open sessions see it at once. Returns the :class:`Fault`."""
        from .faults import Fault, FaultyEmulator

        with self._lock:
            bench = self.bench
            name = self._canonical(resource_name)
            fault = Fault(**spec)
            emu = bench.emulators[name]
            if isinstance(emu, FaultyEmulator):
                emu.add(fault)
            else:
                bench.emulators[name] = FaultyEmulator(emu, bench.world, name, [fault])
                for lib in list(self._shared.libraries):
                    lib._rebind(bench)
            return fault

    def _rebind(self, bench: benches.SimBench) -> None:
        for s in self._sessions.values():
            s.bind(bench.emulators[s.name])

    # ------------------------------------------------------------------ status helpers
    def ignore_warning(self, session: Any, *warnings_constants: StatusCode) -> _IgnoredWarnings:
        """Ignore warnings for a session for the duration of the context (pyvisa's API)."""
        return _IgnoredWarnings(self._ignore_warning_in_session[session], warnings_constants)

    def _ok(self, session: int) -> StatusCode:
        self._last_status = _SUCCESS
        self._last_status_in_session[session] = _SUCCESS
        return _SUCCESS

    def _session(self, session: Any) -> _Session:
        s = self._sessions.get(session)
        if s is None:
            self.handle_return_value(session, StatusCode.error_invalid_object)
        if self._shared.locks:
            lk = self._shared.locks.get(s.name)  # type: ignore[union-attr]
            if lk is not None and not lk.allows(s):  # type: ignore[arg-type]
                self.handle_return_value(session, StatusCode.error_resource_locked)
        return s  # type: ignore[return-value]

    # ------------------------------------------------------------------ resource manager
    def open_default_resource_manager(self) -> tuple[int, StatusCode]:
        with self._lock:
            shared = self._shared
            if self._fresh and shared.rm_sessions == 0:
                shared.reset()  # asked for: the bench file's state (nobody else is using it)
            # built now, so a bad sim: section (an unknown device parameter) is reported
            # against the bench file, not against whichever instrument opens first
            shared.built()
            shared.rm_sessions += 1  # otherwise the bench lives on between resource managers
            handle = next(self._handles)
            self._rm_sessions[handle] = {_USER_DATA: 0}
            return handle, self._ok(handle)

    def list_resources(self, session: int, query: str = "?*::INSTR") -> tuple[str, ...]:
        with self._lock:
            names = list(self._shared.built().emulators)
        found = rname.filter(names, query)
        if not found:
            raise _io_error(StatusCode.error_resource_not_found,
                            f"No resource of sim bench {self._shared.path.name!r} matches {query!r}; "
                            f"it has {', '.join(names) or 'none'}.")
        return tuple(found)

    def _canonical(self, resource_name: str) -> str:
        """The bench's name for a resource: aliases, any case, short forms, ``0x05e6`` == ``0x5E6``."""
        alias = self._shared.aliases().get(resource_name)
        if alias is not None:
            return alias
        try:
            parsed = _parse(resource_name)
        except rname.InvalidResourceName as exc:
            raise _io_error(StatusCode.error_invalid_resource_name, f"{resource_name!r}: {exc}") from None
        return self._shared.by_key().get(_key(parsed), str(parsed))

    def parse_resource_extended(self, session: int, resource_name: str):
        alias = None
        name = resource_name
        try:
            mapped = self._shared.aliases().get(resource_name)
        except benches.SimBenchError:
            mapped = None
        if mapped is not None:
            alias, name = resource_name, mapped
        try:
            parsed = _parse(name)
        except rname.InvalidResourceName:
            return (highlevel.ResourceInfo(InterfaceType.unknown, 0, None, None, None),
                    StatusCode.error_invalid_resource_name)
        with self._lock:
            known = self._shared.by_key().get(_key(parsed))
        if known is not None:
            parsed = rname.parse_resource_name(known)
        board = getattr(parsed, "board", None)
        try:
            board = int(board) if board is not None else None
        except ValueError:
            board = None
        return (highlevel.ResourceInfo(parsed.interface_type_const, board, parsed.resource_class,
                                       str(parsed), alias), _SUCCESS)

    def parse_resource(self, session: int, resource_name: str):
        info, status = self.parse_resource_extended(session, resource_name)
        if status != _SUCCESS:
            return info, status
        return highlevel.ResourceInfo(info.interface_type, info.interface_board_number,
                                      None, None, None), status

    def open(self, session: int, resource_name: str,
             access_mode: constants.AccessModes = constants.AccessModes.no_lock,
             open_timeout: SupportsInt = constants.VI_TMO_IMMEDIATE) -> tuple[int, StatusCode]:
        with self._lock:
            if session not in self._rm_sessions:
                self.handle_return_value(session, StatusCode.error_invalid_object)
            name = self._canonical(resource_name)
            bench = self._shared.built()
            emu = bench.emulators.get(name)
            if emu is None:
                raise _io_error(StatusCode.error_resource_not_found,
                                f"{resource_name!r} ({name}) is not on sim bench {self._shared.path.name!r}; "
                                f"its resources: {', '.join(bench.emulators) or 'none'}.")
            parsed = rname.parse_resource_name(name)
            handle = next(self._handles)
            s = _Session(handle, session, name, parsed, emu, self._initial_attributes(name, parsed, emu))
            self._sessions[handle] = s
            mode = int(access_mode)
            try:
                if mode & int(constants.AccessModes.exclusive_lock):
                    self._acquire(s, constants.Lock.exclusive, int(open_timeout), None)
                elif mode & int(constants.AccessModes.shared_lock):
                    self._acquire(s, constants.Lock.shared, int(open_timeout), None)
            except errors.VisaIOError:
                del self._sessions[handle]
                raise
            return handle, self._ok(handle)

    def _initial_attributes(self, name: str, parsed: rname.ResourceName, emu: Any) -> dict[int, Any]:
        itype = parsed.interface_type_const
        attrs = _default_attributes(itype, parsed.resource_class)
        idn = [p.strip() for p in str(getattr(emu, "IDN", "")).split(",")] + ["", ""]
        attrs.update({
            int(_A.interface_type): itype,
            int(_A.interface_number): int(getattr(parsed, "board", 0) or 0)
            if str(getattr(parsed, "board", "0")).isdigit() else 0,
            int(_A.resource_name): name,
            int(_A.resource_class): parsed.resource_class,
            int(_A.resource_manufacturer_name): "spinbench",
            int(_A.resource_manufacturer_id): 0x3FFF,
            int(_A.resource_impl_version): 0x0010_0000,
            int(_A.interface_instrument_name): f"spinbench simulated {itype.name.upper()} {name}",
        })
        if itype == InterfaceType.gpib:
            attrs[int(_A.gpib_primary_address)] = int(parsed.primary_address)
            sec = getattr(parsed, "secondary_address", "")
            attrs[int(_A.gpib_secondary_address)] = int(sec) if str(sec).isdigit() else constants.VI_NO_SEC_ADDR
        elif itype == InterfaceType.usb:
            attrs.update({
                int(_A.manufacturer_id): int(parsed.manufacturer_id, 0),
                int(_A.model_code): int(parsed.model_code, 0),
                int(_A.usb_serial_number): parsed.serial_number,
                int(_A.usb_interface_number): int(parsed.usb_interface_number or 0),
                int(_A.manufacturer_name): idn[0],
                int(_A.model_name): idn[1],
                int(_A.usb_protocol): 1,  # USB488
            })
        return attrs

    def close(self, session: Any) -> StatusCode:
        with self._lock:
            if session in self._rm_sessions:
                for handle in [h for h, s in self._sessions.items() if s.rm == session]:
                    self._close_session(handle)
                del self._rm_sessions[session]
                shared = self._shared
                shared.rm_sessions = max(shared.rm_sessions - 1, 0)  # the bench stays as it is
                return self._ok(session)
            if session in self._sessions:
                self._close_session(session)
                return self._ok(session)
            if self._events.pop(session, None) is not None:
                return self._ok(session)
            self._last_status = StatusCode.error_invalid_object
            return StatusCode.error_invalid_object

    def _close_session(self, handle: int) -> None:
        s = self._sessions.pop(handle)
        lk = self._shared.locks.get(s.name)
        if lk is not None:
            if lk.exclusive is s:
                lk.exclusive, lk.exclusive_count = None, 0
            lk.shared.pop(s, None)
            self._drop_lock_if_free(s.name, lk)
        close = getattr(s.emu, "close", None)
        if close is not None:
            close()

    # ------------------------------------------------------------------ message I/O
    def _read(self, session: int, count: int) -> tuple[bytes, StatusCode]:
        with self._lock:
            s = self._sessions.get(session)
            if s is None or self._shared.locks:     # _session() checks, off the common path
                s = self._session(session)
            emu = s.emu
            avail = emu.pending()
            if not avail:
                if not s.serial:
                    hook = getattr(emu, "on_unterminated_read", None)
                    if hook is not None:
                        hook()
                raise _io_error(StatusCode.error_timeout,
                                f"{s.name}: read with no response pending (was a query sent?); "
                                "the simulated bench reports this at once instead of waiting out the timeout.")
            attrs = s.attrs
            termchar_en = attrs[_TERMCHAR_EN]
            stop_at_termchar = termchar_en or (s.serial and attrs[_END_IN] == _END_TERMCHAR)
            idx = -1
            n = count
            find = s.find
            if stop_at_termchar:
                limit = count if count < avail else avail
                if find is not None:
                    idx = find(attrs[_TERMCHAR], limit)
                    if idx >= 0:
                        n = idx + 1
            data, end = emu.read(n)
            if stop_at_termchar and find is None:  # an emulator without find_output: look after
                idx = data.find(bytes((attrs[_TERMCHAR],)))
            if idx >= 0:
                status = _TERM_READ if termchar_en else _SUCCESS
            elif end and not s.serial:
                status = _SUCCESS
            elif len(data) >= count:
                status = _MAX_READ
                self._last_status = status
                self._last_status_in_session[session] = status
                if status in self.issue_warning_on and status not in self._ignore_warning_in_session[session]:
                    self.handle_return_value(session, status)
                return data, status
            else:
                raise _io_error(StatusCode.error_timeout,
                                f"{s.name}: read {len(data)} bytes {data[:40]!r} and then the device sent "
                                "nothing more, with no END or termination character to end the read "
                                "(check read_termination / VI_ATTR_ASRL_END_IN).")
            self._last_status = status
            self._last_status_in_session[session] = status
            return data, status

    read = _clocked(_read)

    def _write(self, session: int, data: bytes) -> tuple[int, StatusCode]:
        with self._lock:
            s = self._sessions.get(session)
            if s is None or self._shared.locks:     # _session() checks, off the common path
                s = self._session(session)
            size = len(data)
            data = bytes(data)
            attrs = s.attrs
            if s.serial:
                if attrs[_SEND_END] and attrs[_END_OUT] == _END_TERMCHAR:
                    data += bytes((attrs[_TERMCHAR],))
                complete = data.endswith(b"\n") or data.endswith(b"\r")
            else:
                complete = attrs[_SEND_END] or data.endswith(b"\n")
            partial = self._shared.partial
            if partial:
                head = partial.pop(s.name, None)
                if head is not None:
                    data = head + data
            if complete:
                s.emu.write(data)
            else:
                partial[s.name] = data
            self._last_status = _SUCCESS
            self._last_status_in_session[session] = _SUCCESS
            return size, _SUCCESS

    write = _clocked(_write)

    def buffer_read(self, session: int, count: int) -> tuple[bytes, StatusCode]:
        return self.read(session, count)

    def buffer_write(self, session: int, data: bytes) -> tuple[int, StatusCode]:
        return self.write(session, data)

    def _clear(self, session: int) -> StatusCode:
        """Device clear (IEEE 488.1 SDC; USBTMC INITIATE_CLEAR; a serial line flushes its buffers)."""
        with self._lock:
            s = self._session(session)
            self._shared.partial.pop(s.name, None)
            s.emu.clear()
            return self._ok(session)

    clear = _clocked(_clear)

    def flush(self, session: int, mask: constants.BufferOperation) -> StatusCode:
        """Discard buffers.  GPIB and USB devices keep unread output in the device, so only a
        serial line's receive buffer (where the device's bytes already are) is emptied."""
        with self._lock:
            s = self._session(session)
            m = int(mask)
            if m & _DISCARD_WRITE:
                self._shared.partial.pop(s.name, None)
            if s.serial and m & (_DISCARD_READ | _DISCARD_RECEIVE):
                pending = s.emu.pending()
                if pending:
                    s.emu.read(pending)
            return self._ok(session)

    def _read_stb(self, session: int) -> tuple[int, StatusCode]:
        """Serial poll: one bus transaction of world time, so a polling loop lets time pass."""
        with self._lock:
            s = self._session(session)
            poll = getattr(s.emu, "serial_poll", None)
            return int(poll() if poll is not None else s.emu.status_byte()), self._ok(session)

    read_stb = _clocked(_read_stb)

    def _assert_trigger(self, session: int, protocol: constants.TriggerProtocol) -> StatusCode:
        with self._lock:
            s = self._session(session)
            s.emu.trigger()
            return self._ok(session)

    assert_trigger = _clocked(_assert_trigger)

    def gpib_control_ren(self, session: int, mode: constants.RENLineOperation) -> StatusCode:
        with self._lock:
            s = self._session(session)
            if s.serial:
                return self.handle_return_value(session, StatusCode.error_nonsupported_operation)
            s.ren = int(mode)
            return self._ok(session)

    # ------------------------------------------------------------------ attributes
    def get_attribute(self, session: Any, attribute: Any) -> tuple[Any, StatusCode]:
        attr = int(attribute)
        with self._lock:
            if session in self._events:
                if attr == _EVENT_TYPE:
                    return self._events[session], self._ok(session)
                return None, self.handle_return_value(session, StatusCode.error_nonsupported_attribute)
            s = self._sessions.get(session)
            attrs = s.attrs if s is not None else self._rm_sessions.get(session)
            if attrs is None:
                return None, self.handle_return_value(session, StatusCode.error_invalid_object)
            if s is not None:
                if attr == _AVAIL_NUM:
                    return s.emu.pending(), self._ok(session)
                if attr == _LOCK_STATE:
                    return self._lock_state(s), self._ok(session)
            if attr not in attrs:
                return None, self.handle_return_value(session, StatusCode.error_nonsupported_attribute)
            return attrs[attr], self._ok(session)

    def set_attribute(self, session: Any, attribute: Any, attribute_state: Any) -> StatusCode:
        attr = int(attribute)
        with self._lock:
            s = self._sessions.get(session)
            attrs = s.attrs if s is not None else self._rm_sessions.get(session)
            if attrs is None:
                return self.handle_return_value(session, StatusCode.error_invalid_object)
            if attr not in _KNOWN:
                return self.handle_return_value(session, StatusCode.error_nonsupported_attribute)
            if attr not in _WRITABLE:
                return self.handle_return_value(session, StatusCode.error_attribute_read_only)
            if attr == _TERMCHAR:
                attribute_state = int(attribute_state) & 0xFF
            elif attr == _USER_DATA:
                self._shared.built().world.checkpoint(int(attribute_state))
            attrs[attr] = attribute_state
            return self._ok(session)

    # ------------------------------------------------------------------ events
    def enable_event(self, session: int, event_type: constants.EventType,
                     mechanism: constants.EventMechanism, context: Any = None) -> StatusCode:
        with self._lock:
            self._session(session).events.add(int(event_type))
            return self._ok(session)

    def disable_event(self, session: int, event_type: constants.EventType,
                      mechanism: constants.EventMechanism) -> StatusCode:
        with self._lock:
            s = self._sessions.get(session)
            if s is not None:
                if int(event_type) == int(constants.EventType.all_enabled):
                    s.events.clear()
                else:
                    s.events.discard(int(event_type))
            return self._ok(session)

    def discard_events(self, session: int, event_type: constants.EventType,
                       mechanism: constants.EventMechanism) -> StatusCode:
        return self._ok(session)

    def _wait_on_event(self, session: int, in_event_type: constants.EventType, timeout: int):
        """Only service requests exist on the simulated bench: one is pending when the status
        byte has RQS set.  Waiting is time passing on the bench (issue 16): the world runs --
        operations on its timeline progress -- until the device requests service or ``timeout``
        ms have passed, as a VISA library waits at the bench; a timed-out wait has moved the
        world clock by the whole timeout.  An infinite wait that nothing scheduled could end
        fails at once (at the bench it would hang); one with something scheduled lasts at most
        :data:`INFINITE_WAIT` s of world time."""
        with self._lock:
            s = self._session(session)
            srq = int(constants.EventType.service_request)
            wanted = int(in_event_type)
            if wanted in (srq, int(constants.EventType.all_enabled)):
                world = self._shared.built().world
                emu = s.emu

                def requested() -> bool:
                    return bool(emu.status_byte() & _RQS)

                infinite = timeout == _VI_TMO_INFINITE
                limit = INFINITE_WAIT if infinite else max(float(timeout), 0.0) * 1e-3
                end = world.now + limit
                if (not world.run_until(requested, limit) and end > world.now
                        and not (infinite and world.next_event() == float("inf"))):
                    world.advance(end - world.now)
                if requested():
                    context = next(self._handles)
                    self._events[context] = srq
                    return constants.EventType.service_request, context, self._ok(session)
            self._last_status = StatusCode.error_timeout
            raise _io_error(StatusCode.error_timeout,
                            f"{s.name}: no service request within {timeout} ms"
                            + (" (nothing scheduled on the simulated bench could raise one)"
                               if timeout == _VI_TMO_INFINITE else "") + ".")

    wait_on_event = _clocked(_wait_on_event)

    # ------------------------------------------------------------------ locks (VPP-4.3 3.6)
    def lock(self, session: int, lock_type: constants.Lock, timeout: int,
             requested_key: str | None = None) -> tuple[str | None, StatusCode]:
        with self._lock:
            s = self._sessions.get(session)
            if s is None:
                self.handle_return_value(session, StatusCode.error_invalid_object)
            return self._acquire(s, lock_type, int(timeout), requested_key)  # type: ignore[arg-type]

    def _acquire(self, s: _Session, lock_type: constants.Lock, timeout: int,
                 requested_key: str | None) -> tuple[str | None, StatusCode]:
        shared = self._shared
        exclusive = int(lock_type) == int(constants.Lock.exclusive)

        def grantable() -> bool:
            lk = shared.locks.get(s.name)
            if lk is None:
                return True
            if lk.exclusive is not None:
                return lk.exclusive is s
            if exclusive:
                return not lk.shared or s in lk.shared
            return not lk.shared or s in lk.shared or requested_key == lk.shared_key

        if not grantable():
            wait = None if timeout == _VI_TMO_INFINITE else max(timeout, 0) / 1000.0
            if not shared.unlocked.wait_for(grantable, wait):
                raise _io_error(StatusCode.error_timeout,
                                f"{s.name}: locked by another session (waited {timeout} ms).")
        lk = shared.locks.setdefault(s.name, _ResourceLock())
        if exclusive:
            nested = lk.exclusive is s
            lk.exclusive = s
            lk.exclusive_count += 1
            status = StatusCode.success_nested_exclusive if nested else _SUCCESS
            key = None
        else:
            nested = s in lk.shared
            if not lk.shared:
                lk.shared_key = requested_key or f"spinbench-{s.name}-{s.handle:x}"
            lk.shared[s] = lk.shared.get(s, 0) + 1
            status = StatusCode.success_nested_shared if nested else _SUCCESS
            key = lk.shared_key
        self._last_status = status
        self._last_status_in_session[s.handle] = status
        return key, status

    def unlock(self, session: int) -> StatusCode:
        with self._lock:
            s = self._sessions.get(session)
            if s is None:
                return self.handle_return_value(session, StatusCode.error_invalid_object)
            lk = self._shared.locks.get(s.name)
            if lk is not None and lk.exclusive is s:
                lk.exclusive_count -= 1
                if lk.exclusive_count <= 0:
                    lk.exclusive, lk.exclusive_count = None, 0
            elif lk is not None and s in lk.shared:
                lk.shared[s] -= 1
                if lk.shared[s] <= 0:
                    del lk.shared[s]
            else:
                return self.handle_return_value(session, StatusCode.error_session_not_locked)
            still = self._lock_state(s)
            self._drop_lock_if_free(s.name, lk)
            self._shared.unlocked.notify_all()
            if still == constants.AccessModes.exclusive_lock:
                status = StatusCode.success_nested_exclusive
            elif still == constants.AccessModes.shared_lock:
                status = StatusCode.success_nested_shared
            else:
                status = _SUCCESS
            self._last_status = status
            self._last_status_in_session[session] = status
            return status

    def _lock_state(self, s: _Session) -> constants.AccessModes:
        lk = self._shared.locks.get(s.name)
        if lk is None:
            return constants.AccessModes.no_lock
        if lk.exclusive is not None:
            return constants.AccessModes.exclusive_lock
        if lk.shared:
            return constants.AccessModes.shared_lock
        return constants.AccessModes.no_lock

    def _drop_lock_if_free(self, name: str, lk: _ResourceLock) -> None:
        if lk.exclusive is None and not lk.shared:
            self._shared.locks.pop(name, None)
            self._shared.unlocked.notify_all()
