"""First process inside the execution sandbox: start the stub endpoint, then become the kernel.

Never imported by ALAIN: it is copied into the run directory and is the last program of the
kernelspec's argv (after prlimit and bwrap). Standard library only.

Usage: python -I kernel_launcher.py <stub_script> <port> <model> <max_processes> -f <connection_file>
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time


def _wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def main() -> None:
    stub_script, port, model, max_processes = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    kernel_args = sys.argv[5:]
    # The process limit is set here, inside the sandbox's user namespace, rather than by prlimit
    # outside: the kernel then counts only the sandbox's own processes, not every process the
    # host user runs (a web worker's threads would otherwise use up the budget).
    if max_processes > 0:  # 0: unsandboxed by explicit opt-in, where the cap would count the host user's processes
        resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
    # The stub shares the kernel's network namespace, so it is the only thing the kernel can reach.
    subprocess.Popen(
        [sys.executable, "-I", "-S", stub_script, str(port), model],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not _wait_for_port(port, 10.0):
        # Goes to the executor's log; the notebook's own calls will then fail and be reported.
        sys.stderr.write("alain: the validation stub endpoint did not start\n")
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *kernel_args])


if __name__ == "__main__":
    main()
