"""Test fixtures that ship with emostream: virtual devices and conformance checks.

- `virtual_air`: a bleak backend over an in-process bumble radio;
- `peripherals`: virtual BLE devices (heart-rate strap, Polar H10, Muse) on that radio;
- `e4_server`: a loopback Empatica E4 streaming server;
- `wearer`: the synthetic wearer's physiology that the virtual devices send;
- `checks`: `check_extractor`, the conformance checks every feature extractor must pass.

They back `--simulate` and the test suite. The virtual BLE devices need the `sim` extra
(`pip install 'emostream[sim]'`, which brings bumble).
"""

from emostream.testing.checks import check_extractor

__all__ = ["check_extractor"]
