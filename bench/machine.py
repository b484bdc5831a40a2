"""What the benchmarks read about the machine they run on (Linux /proc), shared by the
scripts in bench/ (run as `python bench/<script>.py`, so this module is on the path)."""

from __future__ import annotations

import contextlib
import platform
from pathlib import Path


def system_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    # Interrupt time is left out of "busy": the kernel may bill the loopback traffic between
    # the load generator and the server there rather than to either process. Steal (other
    # VMs) stays in.
    busy = user + nice + system + steal
    return busy, busy + idle + iowait + irq + softirq


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
