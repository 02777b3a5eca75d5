"""A real pseudo-terminal for tests of what a person sees: a subprocess whose stdout is a tty of a
given width (rich, like most programs, asks the terminal for its size)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

SGR = re.compile(r"\x1b\[[0-9;]*m")
"""A Select Graphic Rendition sequence: colours and bold/dim, the only escapes we print."""


def run_on_a_terminal(args: list[str], columns: int, **env: str) -> str:
    """Run ``python args`` with its stdout a real pseudo-terminal ``columns`` wide; its output
    with our colours removed."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in {**os.environ, **env}.items() if k != "COLUMNS"}
    try:
        proc = subprocess.Popen(
            [sys.executable, *args], stdout=follower, stderr=subprocess.PIPE, env=env
        )
        os.close(follower)
        raw = b""
        while True:
            try:
                piece = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not piece:
                break
            raw += piece
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    finally:
        os.close(leader)
    return SGR.sub("", raw.decode()).replace("\r\n", "\n")
