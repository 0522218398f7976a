"""The wiring of a simulated bench: named devices, lines, and the terminals instruments use.

An instrument terminal (``connect:`` in a bench file) names one of

* ``DEVICE.PORT`` — one port of one device (``hb1.channel``);
* a line name — several devices on one port in series or in parallel (``lines:``);
* a bare ``PORT`` — that port of the only device (the one-device benches); RF and emission
  terminals (``rf``), which are no electrical port of a device model, name the first device.

Electrical rules (lumped, quasi-static):

* series line: one current through every device's port; the voltage across the line is the
  sum of the devices' voltages (Kirchhoff's voltage law), its resistance the sum;
* parallel line: an injected current ``I`` splits by conductance, ``I_k = I G_k / sum G``
  with ``G_k = 1 / resistance(port)``; the node voltage is Millman's
  ``sum(G_k V_k) / sum(G_k)``, the resistance ``1 / sum(G_k)``;
* an RF source on a line delivers its tone to every device on it at ``P - attenuation_db[k]``;
* a line's ``emitters`` (``{devices: [...], port: rf, gain_db: G}``) are oscillators whose
  RF output feeds the line through an amplifier of gain ``G``: each line one of them emits
  (``device.emission_lines``: centre, power, width) reaches every device on the line as a
  Lorentzian line of that centre and width at ``P + G - attenuation_db[k]`` (``Drive.rf_lines``:
  incoherent, not a tone); an emitter receives no emitted lines itself (no mutual coupling of
  the oscillators).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class NetlistError(KeyError):
    """A terminal, device or line that the bench does not have (the message lists what exists)."""

    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Line:
    """Several devices on one port, in series or in parallel, with an RF loss per device."""

    name: str
    devices: tuple[str, ...]
    port: str | None = None                       #: None: each device's drive port
    connection: str = "series"                    #: "series" or "parallel"
    attenuation_db: dict[str, float] = field(default_factory=dict)
    emitters: tuple[str, ...] = ()                #: oscillators whose output feeds the line
    emitter_port: str = "rf"                      #: the emitters' RF port
    gain_db: float = 0.0                          #: amplifier gain from the emitters to the line

    def loss_db(self, device: str) -> float:
        return self.attenuation_db.get(device, 0.0)


@dataclass(frozen=True)
class Terminal:
    """What an instrument terminal reaches: ``(device, port)`` members and how they combine."""

    name: str
    members: tuple[tuple[str, str], ...]          #: (device name, device port)
    connection: str = "single"                    #: "single", "series" or "parallel"
    loss_db: tuple[float, ...] = ()              #: RF attenuation to each member

    @property
    def device(self) -> str:
        """The first (for a device port: the only) device on this terminal."""
        return self.members[0][0]


def parse_lines(spec: dict[str, Any] | None, devices: dict[str, Any]) -> dict[str, Line]:
    """``sim.lines`` of a bench file -> :class:`Line` objects, checked against ``devices``."""
    lines: dict[str, Line] = {}
    for name, cfg in (spec or {}).items():
        if not isinstance(cfg, dict) or not isinstance(cfg.get("devices"), (list, tuple)) or not cfg["devices"]:
            raise NetlistError(f"line {name!r}: needs devices: [NAME, ...] (devices: {', '.join(devices)})")
        if name in devices:
            raise NetlistError(f"line {name!r}: a device has the same name")
        members = tuple(str(d) for d in cfg["devices"])
        for d in members:
            if d not in devices:
                raise NetlistError(f"line {name!r}: unknown device {d!r}; devices: {', '.join(devices)}")
        if len(set(members)) != len(members):
            raise NetlistError(f"line {name!r}: a device appears twice")
        connection = str(cfg.get("connection", "series")).lower()
        if connection not in ("series", "parallel"):
            raise NetlistError(f"line {name!r}: connection must be series or parallel, not {connection!r}")
        port = cfg.get("port")
        if port is not None:
            for d in members:
                if port not in devices[d].ports:
                    raise NetlistError(f"line {name!r}: device {d!r} has no port {port!r}; "
                                       f"ports: {', '.join(devices[d].ports)}")
        att = cfg.get("attenuation_db", 0.0)
        if isinstance(att, dict):
            unknown = set(att) - set(members)
            if unknown:
                raise NetlistError(f"line {name!r}: attenuation_db for devices not on the line: "
                                   f"{', '.join(sorted(map(str, unknown)))}")
            loss = {d: float(att.get(d, 0.0)) for d in members}
        else:
            loss = {d: float(att) for d in members}
        lines[name] = Line(name, members, port, connection, loss, *_emitters(name, cfg.get("emitters"), devices))
    return lines


def _emitters(line: str, cfg: Any, devices: dict[str, Any]) -> tuple[tuple[str, ...], str, float]:
    """``emitters:`` of a line -> (devices, port, gain_db), checked."""
    if cfg is None:
        return (), "rf", 0.0
    if not isinstance(cfg, dict) or not isinstance(cfg.get("devices"), (list, tuple)) or not cfg["devices"]:
        raise NetlistError(f"line {line!r}: emitters needs devices: [NAME, ...], port, gain_db")
    unknown = set(cfg) - {"devices", "port", "gain_db"}
    if unknown:
        raise NetlistError(f"line {line!r}: emitters has unknown keys {', '.join(sorted(map(str, unknown)))} "
                           f"(allowed: devices, port, gain_db)")
    port = str(cfg.get("port", "rf"))
    names = tuple(str(d) for d in cfg["devices"])
    for d in names:
        if d not in devices:
            raise NetlistError(f"line {line!r}: unknown emitter {d!r}; devices: {', '.join(devices)}")
        if not hasattr(devices[d], "emission_lines") or port not in devices[d].ports:
            raise NetlistError(f"line {line!r}: device {d!r} emits no RF at port {port!r} (an emitter needs "
                               f"a device model with emission_lines and that port)")
    gain = cfg.get("gain_db", 0.0)
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not -100.0 <= float(gain) <= 100.0:
        raise NetlistError(f"line {line!r}: emitters gain_db = {gain!r} must be a number in [-100, 100] dB")
    return names, port, float(gain)


def resolve(name: str, devices: dict[str, Any], lines: dict[str, Line], *,
            signal: bool = False) -> Terminal:
    """The :class:`Terminal` a ``connect:`` name reaches (see the module docstring).

    ``signal=True`` (RF and emission terminals, which are not electrical DC ports of the device
    models, e.g. ``rf``): ``DEVICE.X`` and a bare ``X`` are accepted for any ``X``, a bare name
    meaning the first device; the name ``X`` is passed on to the device (``emission_psd``).
    """
    if name in lines:
        line = lines[name]
        members = tuple((d, line.port or drive_port(devices[d])) for d in line.devices)
        return Terminal(name, members, line.connection, tuple(line.loss_db(d) for d in line.devices))
    dev, sep, port = str(name).partition(".")
    if sep and dev in devices:
        if port not in devices[dev].ports and not signal:
            raise NetlistError(f"device {dev!r} has no port {port!r}; ports: {', '.join(devices[dev].ports)}")
        return Terminal(name, ((dev, port),), "single", (0.0,))
    first = next(iter(devices))
    if name in ("device", first):          # a whole device (lasers: ``optical: device``)
        return Terminal(name, ((first if name == "device" else name, drive_port(devices[first])),),
                        "single", (0.0,))
    if name in devices:
        return Terminal(name, ((name, drive_port(devices[name])),), "single", (0.0,))
    if (name in devices[first].ports and len(devices) == 1) or signal:
        return Terminal(name, ((first, name),), "single", (0.0,))
    what = f"ports: {', '.join(devices[first].ports)}" if len(devices) == 1 else (
        f"use DEVICE.PORT (devices: {', '.join(devices)}) or a line ({', '.join(lines) or 'none'})")
    raise NetlistError(f"device has no port {name!r}; {what}")


def drive_port(device: Any) -> str:
    """The port whose current drives ``device`` ("channel" by default, "junction" for an MTJ)."""
    return getattr(device, "drive_port", "channel")
