"""bleak/OS failures become device errors with fields and a fix in the message."""

from __future__ import annotations

import pytest
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDeviceNotFoundError,
    BleakError,
)

from emostream.sources.ble.transport import to_device_error
from emostream.sources.device_errors import (
    BluetoothPermissionError,
    ConnectionLostError,
    DeviceNotFoundError,
    NoAdapterError,
)

R = BleakBluetoothNotAvailableReason


@pytest.mark.parametrize(
    ("exc", "expected", "text"),
    [
        (BleakBluetoothNotAvailableError("no radio", R.NO_BLUETOOTH), NoAdapterError, "adapter"),
        (BleakBluetoothNotAvailableError("off", R.POWERED_OFF), NoAdapterError, "switch on"),
        (
            BleakBluetoothNotAvailableError("denied", R.DENIED_BY_USER),
            BluetoothPermissionError,
            "Privacy",
        ),
        (FileNotFoundError(2, "No such file or directory"), NoAdapterError, "bluetooth"),
        (PermissionError(13, "Permission denied"), BluetoothPermissionError, "permission"),
        (BleakError("No Bluetooth adapters found."), NoAdapterError, "adapter"),
        (BleakError("[org.bluez.Error.NotPermitted] x"), BluetoothPermissionError, "group"),
        (BleakDeviceNotFoundError("AA:BB", "gone"), DeviceNotFoundError, "AA:BB"),
        (BleakError("Not connected"), ConnectionLostError, "Not connected"),
    ],
)
def test_translation(exc: Exception, expected: type, text: str) -> None:
    error = to_device_error(exc, "AA:BB")
    assert isinstance(error, expected)
    assert text.lower() in str(error).lower()


def test_bugs_are_not_disguised_as_device_errors() -> None:
    assert to_device_error(TypeError("bug"), "AA:BB") is None


def test_a_device_not_found_says_how_to_find_it() -> None:
    error = to_device_error(BleakDeviceNotFoundError("AA:BB", "gone"), "AA:BB")
    assert isinstance(error, DeviceNotFoundError) and error.address == "AA:BB"
    message = str(error)
    assert message.startswith("device AA:BB ")
    assert "within a few metres" in message and "`emostream devices scan`" in message
