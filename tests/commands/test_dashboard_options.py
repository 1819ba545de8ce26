"""`--dashboard [HOST:]PORT`: parsed strictly, bound to 127.0.0.1 unless a host is given."""

import argparse
import socket

import pytest

from emostream.cli import main
from emostream.commands.dashboard_options import host_port


def test_host_defaults_to_loopback():
    assert host_port("8765") == ("127.0.0.1", 8765)
    assert host_port("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert host_port("[::1]:8080") == ("::1", 8080)
    with pytest.raises(argparse.ArgumentTypeError, match="not an integer"):
        host_port("localhost:web")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--dashboard", "70000"], "argument --dashboard: must be in [1, 65535]"),
        (["demo", "--dashboard", "8765", "--no-dashboard"], "not allowed with argument"),
        (["run", "demo", "--dashboard", "x"], "argument --dashboard: 'x' is not an integer"),
    ],
)
def test_bad_dashboard_options_are_usage_errors(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_taken_port_is_a_usage_error_naming_it(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        argv = ["demo", "--duration", "60", "--speed", "0", "--no-record", "--no-lsl"]
        assert main([*argv, "--dashboard", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--dashboard: cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
