"""Bluetooth LE device drivers (bleak), selected by a profile's `device.driver`."""

from __future__ import annotations

from emostream.sources.ble.driver import BleDriver
from emostream.sources.ble.hr_strap import HeartRateStrap
from emostream.sources.ble.muse import Muse
from emostream.sources.ble.polar_h10 import PolarH10
from emostream.sources.ble.transport import BleBackend

#: profile `device.driver` → driver class
DRIVERS: dict[str, type[BleDriver]] = {
    "hr-strap": HeartRateStrap,
    "polar-h10": PolarH10,
    "muse": Muse,
}

__all__ = ["DRIVERS", "BleBackend", "BleDriver", "HeartRateStrap", "Muse", "PolarH10"]
