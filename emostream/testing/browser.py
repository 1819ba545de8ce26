"""A real headless Chromium under WebDriver, for tests and screenshots of the web pages.

Uses the system's Chromium and ChromeDriver (Debian: `chromium`, `chromium-driver`); nothing
is downloaded. The flags keep Chromium off the network, which a lab machine may not have.
Chromium's profile is a temporary folder, removed with the driver.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
OFFLINE_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
)


class BrowserUnavailable(RuntimeError):
    """No Chromium, no ChromeDriver, or no selenium package."""


def _which(names: tuple[str, ...]) -> str | None:
    return next((p for p in map(shutil.which, names) if p is not None), None)


def start_chromium(width_px: int = 1400, height_px: int = 1000) -> WebDriver:
    """Start headless Chromium; its browser console is readable with `console_errors`."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        raise BrowserUnavailable("the selenium package is not installed") from exc
    binary, driver_path = _which(BROWSERS), _which(DRIVERS)
    if binary is None or driver_path is None:
        raise BrowserUnavailable(f"need one of {BROWSERS} and {DRIVERS} on PATH")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*OFFLINE_FLAGS, f"--window-size={width_px},{height_px}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # with a profile of its own, Chromium removes its profile lock's folder from TMPDIR at quit
    # (with ChromeDriver's, it leaves one behind); the profile goes with the driver
    profile = tempfile.TemporaryDirectory(prefix="emostream-chromium-", ignore_cleanup_errors=True)
    options.add_argument(f"--user-data-dir={profile.name}")
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except Exception as exc:  # a driver/browser mismatch, a missing library
        profile.cleanup()
        raise BrowserUnavailable(f"Chromium did not start: {exc}") from exc
    weakref.finalize(driver, profile.cleanup)
    return driver


def console_errors(driver: WebDriver) -> list[dict[str, Any]]:
    """Console entries of level SEVERE since the last call (the log is drained on read)."""
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
