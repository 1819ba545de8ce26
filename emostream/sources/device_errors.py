"""Device errors with fields: what failed, on which device, and how to fix it."""

from __future__ import annotations

from emostream.errors import DeviceError


class NoAdapterError(DeviceError):
    """No usable Bluetooth adapter (none present, powered off, or no Bluetooth service)."""

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(
            f"no Bluetooth adapter available ({detail}); plug in or switch on an adapter, on "
            "Linux check `systemctl status bluetooth` and `bluetoothctl show`, or use "
            "--simulate to stream from a virtual device"
        )


class BluetoothPermissionError(DeviceError):
    """The operating system refused access to Bluetooth."""

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(
            f"permission to use Bluetooth was denied ({detail}); on Linux add your user to the "
            "'bluetooth' group, on macOS allow Bluetooth for your terminal in System Settings → "
            "Privacy & Security → Bluetooth"
        )


BLE_NOT_FOUND_HINT = (
    "wake it (wet the strap electrodes, switch the headset on), keep it within a few metres, "
    "disconnect it from phone apps, and check the address with `emostream devices scan`"
)


class DeviceNotFoundError(DeviceError):
    """The device did not show up (not advertising, out of range, or connected elsewhere)."""

    def __init__(
        self, address: str, timeout_s: float, hint: str = BLE_NOT_FOUND_HINT, reason: str = ""
    ):
        self.address = address
        self.timeout_s = timeout_s
        self.reason = reason or f"not found within {timeout_s:g} s"
        super().__init__(f"device {address} {self.reason}; {hint}")


class DeviceRefusedError(DeviceError):
    """The device answered a command with an error status."""

    def __init__(self, device: str, command: str, status: int, message: str):
        self.device = device
        self.command = command
        self.status = status
        self.status_message = message
        super().__init__(f"{device} refused {command}: status {status}: {message}")


class DeviceInChargerError(DeviceRefusedError):
    """PMD status 13: the sensor is in its charger and will not measure."""


class ConnectionLostError(DeviceError):
    """The link dropped or stopped delivering data; the supervisor reconnects."""

    def __init__(self, device: str, reason: str):
        self.device = device
        self.reason = reason
        super().__init__(f"lost {device}: {reason}")
