"""Driver registry: the ``driver:`` names a bench file may use."""
from __future__ import annotations

from .driver_base import Driver
from .keithley_2182a import Keithley2182A
from .keithley_2450 import Keithley2450
from .keithley_6221 import Keithley6221
from .kepco_bop import KepcoBOP
from .keysight_33500b import Keysight33500B
from .lakeshore_425 import LakeShore425
from .keysight_n9030b import KeysightN9030B
from .keysight_dsox3000t import KeysightDSOX3000T
from .thorlabs_itc4001 import ThorlabsITC4001
from .tektronix_dpo7000 import TektronixDPO7000
from .keysight_n5183b import KeysightN5183B
from .srs_sr830 import SR830
from .rohde_schwarz_sgs100a import RohdeSchwarzSGS100A
from .rohde_schwarz_fsv import RohdeSchwarzFSV
from .pymeasure_adapter import PymeasureAdapter

__all__ = ["DRIVERS", "UnknownDriverError", "get_driver"]

#: bench-file driver name -> driver class
DRIVERS: dict[str, type[Driver]] = {
    cls.driver_name: cls
    for cls in (Keithley6221, Keithley2182A, Keithley2450, KepcoBOP, LakeShore425, Keysight33500B,
                SR830, KeysightN5183B, RohdeSchwarzSGS100A, KeysightN9030B, RohdeSchwarzFSV, KeysightDSOX3000T, ThorlabsITC4001,
                TektronixDPO7000, PymeasureAdapter)
}


class UnknownDriverError(KeyError):
    """A driver name that is not in :data:`DRIVERS`."""

    def __str__(self) -> str:          # KeyError would repr() the message
        return str(self.args[0])


def get_driver(name: str) -> type[Driver]:
    """The driver class for ``name``; the error lists the known drivers."""
    try:
        return DRIVERS[name]
    except (KeyError, TypeError):
        raise UnknownDriverError(f"unknown driver {name!r}; known drivers: "
                                 f"{', '.join(sorted(DRIVERS))}") from None
