"""One emulator per supported instrument model, each speaking its manual's dialect."""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..scpi import Emulator
    from ..world import SimWorld

#: model name (as in a bench file's sim.instruments) -> "module:Class"
EMULATORS: dict[str, str] = {
    "keithley_6221": "keithley_6221:Keithley6221",
    "keithley_2182a": "keithley_2182a:Keithley2182A",
    "keithley_2450": "keithley_2450:Keithley2450",
    "kepco_bop": "kepco_bop:KepcoBOP",
    "keysight_33500b": "keysight_33500b:Keysight33500B",
    "lakeshore_425": "lakeshore_425:LakeShore425",
    "srs_sr830": "srs_sr830:SR830",
    "keysight_n5183b": "keysight_n5183b:KeysightN5183B",
    "rohde_schwarz_sgs100a": "rohde_schwarz_sgs100a:RohdeSchwarzSGS100A",
    "keysight_n9030b": "keysight_n9030b:KeysightN9030B",
    "rohde_schwarz_fsv": "rohde_schwarz_fsv:RohdeSchwarzFSV",
    "keysight_dsox3000t": "keysight_dsox3000t:KeysightDSOX3000T",
    "tektronix_dpo7000": "tektronix_dpo7000:TektronixDPO7000",
    "thorlabs_itc4001": "thorlabs_itc4001:ThorlabsITC4001",
}


def make_emulator(model: str, world: "SimWorld", address: str, config: dict[str, Any]) -> "Emulator":
    try:
        target = EMULATORS[model]
    except KeyError:
        raise KeyError(f"unknown instrument model {model!r}; emulated models: {', '.join(sorted(EMULATORS))}") from None
    module, cls = target.split(":")
    # "module:Class" names a module of this package; otherwise "package.module:Class" (tests, plug-ins)
    try:
        mod = import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{module}":
            raise
        mod = import_module(module)
    return getattr(mod, cls)(world, address, config)
