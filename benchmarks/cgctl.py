"""A two-function shared library that lets the benchmark client count one window of its own work
under callgrind: ``bench_start()`` switches instrumentation on and zeroes the counters,
``bench_stop(label)`` dumps the counts (one ``callgrind.out.N`` file per window, its ``desc:``
naming the label) and switches instrumentation off again.

Why not two runs with a low and a high repetition count: the difference of two whole runs also
carries anything that happened in one and not the other (a ``.pyc`` compiled, a collection of the
whole heap, a lazily imported module), hundreds of millions of instructions against a few million
per call. A window counts only the calls themselves, and start-up runs uninstrumented (fast).

Callgrind's client requests are machine-code sequences defined in ``valgrind/callgrind.h`` (part
of Debian's ``valgrind`` package); they are compiled here with the C compiler, once per build
directory. Outside valgrind they do nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

SOURCE = """\
#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void bench_stop(const char *label) {
    CALLGRIND_DUMP_STATS_AT(label);
    CALLGRIND_STOP_INSTRUMENTATION;
}
"""


def build(directory: Path) -> Path:
    """The library's path, compiled into ``directory`` if not there yet."""
    digest = hashlib.sha256(SOURCE.encode()).hexdigest()[:12]
    target = directory / f"bench-cgctl-{digest}.so"
    if target.is_file():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SystemExit("benchmarks.instructions needs a C compiler (Debian: gcc) for cgctl")
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"bench-cgctl-{digest}.c"
    source.write_text(SOURCE)
    partial = target.with_suffix(".so.tmp")
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-o", str(partial), str(source)], check=True
    )
    partial.replace(target)
    return target
