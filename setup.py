"""Carries the top-level `pipelines/` and `devices/` folders into the wheel as
`emostream/_bundled/pipelines` and `emostream/_bundled/devices` (see pyproject.toml)."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["emostream*"]),
        "emostream._bundled.pipelines",
        "emostream._bundled.devices",
    ]
)
