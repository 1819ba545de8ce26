"""Carries the top-level `pipelines/` and `devices/` folders into the wheel as
`emostream/_bundled/pipelines` and `emostream/_bundled/devices` (see pyproject.toml)."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["emostream*"], exclude=["*.__pycache__"]),
        "emostream._bundled.pipelines",
        "emostream._bundled.devices",
    ]
)
