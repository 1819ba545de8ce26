"""Bluetooth LE device drivers (bleak), selected by a profile's `device.driver`."""

from __future__ import annotations

from emostream.core.registry import Registry
from emostream.sources.ble.driver import BleDriver
from emostream.sources.ble.hr_strap import HeartRateStrap
from emostream.sources.ble.muse import Muse
from emostream.sources.ble.polar_h10 import PolarH10
from emostream.sources.ble.transport import BleBackend

#: profile `device.driver` → driver class
DRIVERS: Registry[type[BleDriver]] = Registry("BLE driver")
DRIVERS.register("hr-strap", HeartRateStrap)
DRIVERS.register("polar-h10", PolarH10)
DRIVERS.register("muse", Muse)

__all__ = ["DRIVERS", "BleBackend", "BleDriver", "HeartRateStrap", "Muse", "PolarH10"]
