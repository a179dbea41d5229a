"""The execution sandbox: a throwaway run directory, a kernelspec whose argv is the sandbox, and cleanup.

The kernel runs as `prlimit ... -- bwrap ... python kernel_launcher.py ... -f {connection_file}`:

- bwrap shows the kernel only /usr (with the /lib, /lib64, /bin links), the interpreter's prefix
  and the venv read-only, a synthetic /etc/hosts, its own /proc, /dev and a small /tmp, and the
  run directory read-write. Never `/` whole, the project or $HOME: those hold `.env` files and
  databases. All namespaces are unshared, so there is no network but a private loopback, where
  the stub endpoint listens; the client talks to the kernel over IPC sockets in the run dir.
- prlimit caps address space, CPU seconds, file size and open files per process; the launcher
  caps processes from inside the sandbox's user namespace (see kernel_launcher.py).
- Run as root, the kernel's processes would still be host root underneath the user namespace,
  and the kernel ignores RLIMIT_NPROC for root: a fork bomb would not stop. So a root validator
  first drops to the `nobody` uid with setpriv. Paths that uid cannot reach (a pyenv under a 0700
  /root) are bind-mounted read-only into the throwaway directory, inside a private mount namespace
  made by `unshare --mount`, so the host's mount table never changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

KERNEL_NAME = "alain-sandbox"
STUB_PORT = 8765  # inside the sandbox's own network namespace, so it can never clash with the host
STUB_API_KEY = "validation-stub"  # clearly not a secret; the stub ignores it
SANDBOX_UID = 65534  # `nobody`, inside the sandbox and (when the validator is root) on the host
HOSTS_FILE = "127.0.0.1 localhost\n::1 localhost\n"
_HERE = Path(__file__).resolve().parent
# The root-mode prelude: bind each "source target" pair read-only, then exec the rest of argv.
_STAGE_SCRIPT = 'set -e; while [ "$1" != "--" ]; do mount --bind -o ro "$1" "$2"; shift 2; done; shift; exec "$@"'


@dataclass(frozen=True)
class SandboxLimits:
    memory_mb: int = 2048
    cpu_seconds: int = 600
    file_size_mb: int = 100
    open_files: int = 256
    processes: int = 64
    tmp_mb: int = 128


@dataclass(frozen=True)
class SandboxPaths:
    """One validation's throwaway directory; only `files` (read-only) and `run` are seen by the kernel."""

    base: Path

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    @property
    def files_dir(self) -> Path:
        return self.base / "files"

    @property
    def kernel_dir(self) -> Path:
        return self.base / "kernels"

    @property
    def connection_file(self) -> Path:
        return self.run_dir / "kernel.json"

    @property
    def ipc_path(self) -> Path:
        return self.run_dir / "ipc"

    @classmethod
    def create(cls) -> SandboxPaths:
        # Short and under /tmp: IPC socket paths must stay under the 107-byte limit of AF_UNIX.
        paths = cls(Path(tempfile.mkdtemp(prefix="alain-exec-", dir="/tmp")))
        paths.base.chmod(0o711)  # the sandbox user may pass through, not list
        paths.files_dir.mkdir(mode=0o755)
        paths.run_dir.mkdir(mode=0o700)
        paths.kernel_dir.mkdir(mode=0o700)
        (paths.base / "mnt").mkdir(mode=0o755)
        for name in ("kernel_launcher.py", "stub_openai.py"):
            shutil.copyfile(_HERE / name, paths.files_dir / name)
            (paths.files_dir / name).chmod(0o644)
        (paths.files_dir / "hosts").write_text(HOSTS_FILE, encoding="utf-8")
        (paths.files_dir / "hosts").chmod(0o644)
        if host_uid() != os.geteuid():
            os.chown(paths.run_dir, host_uid(), host_uid())
        return paths

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def host_uid() -> int:
    """The host uid the kernel's processes run as: ours, unless we are root (see the module docstring)."""
    return SANDBOX_UID if os.geteuid() == 0 else os.geteuid()


def interpreter_dirs() -> list[Path]:
    """The venv and the interpreter prefix its `python` symlink resolves into, both bound read-only."""
    dirs = []
    for prefix in (sys.prefix, sys.base_prefix):
        path = Path(prefix).resolve()
        if path not in dirs:
            dirs.append(path)
    executable = Path(sys.executable).resolve()
    if not any(executable.is_relative_to(d) for d in dirs):
        raise RuntimeError(f"the interpreter {executable} lies outside {', '.join(map(str, dirs))}")
    return dirs


def kernel_environment(paths: SandboxPaths, *, model: str) -> dict[str, str]:
    """The kernel's whole environment (bwrap --clearenv drops everything else, secrets included)."""
    run = str(paths.run_dir)
    return {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "HOME": run,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "IPYTHONDIR": f"{run}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{run}/.jupyter",
        "JUPYTER_DATA_DIR": f"{run}/.jupyter-data",
        "JUPYTER_RUNTIME_DIR": f"{run}/.jupyter-runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{run}/.matplotlib",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{STUB_PORT}/v1",
        "OPENAI_API_KEY": STUB_API_KEY,
        "ALAIN_MODEL": model,
    }


def _reachable_by_sandbox_user(path: Path) -> bool:
    if host_uid() == os.geteuid():
        return True
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in [*reversed(path.parents), path])


def sandbox_argv(paths: SandboxPaths, limits: SandboxLimits, *, command: list[str], env: dict[str, str]) -> list[str]:
    """The full argv that runs `command` in the sandbox."""
    prelude: list[str] = []
    binds: list[tuple[Path, Path]] = []  # (host source, path inside)
    staged: list[str] = []
    for index, directory in enumerate(interpreter_dirs()):
        if _reachable_by_sandbox_user(directory):
            binds.append((directory, directory))
        else:
            mount_point = paths.base / "mnt" / str(index)
            mount_point.mkdir(mode=0o755, exist_ok=True)
            staged += [str(directory), str(mount_point)]
            binds.append((mount_point, directory))
    if staged:
        prelude += ["unshare", "--mount", "--propagation", "private", "--"]
        prelude += ["/bin/sh", "-c", _STAGE_SCRIPT, "alain-sandbox", *staged, "--"]
    if host_uid() != os.geteuid():
        uid = str(host_uid())
        prelude += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs", "--"]

    mib = 1024 * 1024
    argv = [
        *prelude,
        "prlimit",
        f"--as={limits.memory_mb * mib}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_size_mb * mib}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
        "bwrap",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    # /tmp first: the run dir and the launcher files live under the host's /tmp and are bound on top.
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_mb * mib), "--tmpfs", "/tmp"]
    for link in ("/lib", "/lib64", "/bin", "/sbin"):
        if Path(link).is_symlink():
            argv += ["--symlink", str(Path(link).readlink()), link]
        elif Path(link).is_dir():
            argv += ["--ro-bind", link, link]
    for source, target in binds:
        argv += ["--ro-bind", str(source), str(target)]
    argv += ["--ro-bind", str(paths.files_dir), str(paths.files_dir)]
    argv += ["--ro-bind", str(paths.files_dir / "hosts"), "/etc/hosts"]
    argv += ["--bind", str(paths.run_dir), str(paths.run_dir), "--chdir", str(paths.run_dir)]
    argv += ["--remount-ro", "/"]  # the sandbox's own root: nothing outside the run dir and /tmp is writable
    argv += ["--unshare-all", "--hostname", "alain-sandbox"]
    argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--cap-drop", "ALL"]
    argv += ["--die-with-parent", "--new-session", "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return [*argv, "--", *command]


def kernel_argv(paths: SandboxPaths, limits: SandboxLimits, *, model: str) -> list[str]:
    launcher = [
        sys.executable,
        "-I",
        str(paths.files_dir / "kernel_launcher.py"),
        str(paths.files_dir / "stub_openai.py"),
        str(STUB_PORT),
        model,
        str(limits.processes),
        "-f",
        "{connection_file}",
    ]
    return sandbox_argv(paths, limits, command=launcher, env=kernel_environment(paths, model=model))


def write_kernelspec(paths: SandboxPaths, argv: list[str]) -> None:
    spec_dir = paths.kernel_dir / KERNEL_NAME
    spec_dir.mkdir(mode=0o700)
    spec = {
        "argv": argv,
        "display_name": "ALAIN validation sandbox",
        "language": "python",
        # The kernel has no signals from outside its pid namespace; interrupts travel as messages.
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


def sandbox_problem(paths: SandboxPaths, limits: SandboxLimits) -> str | None:
    """Why the sandbox cannot start here (missing tools, user namespaces refused), or None."""
    tools = ["bwrap", "prlimit"]
    if host_uid() != os.geteuid():
        tools += ["setpriv", "unshare", "mount"]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed (Debian packages: bubblewrap, util-linux)"
    try:
        argv = sandbox_argv(paths, limits, command=[sys.executable, "-I", "-S", "-c", "pass"], env={})
        probe = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        return f"the sandbox probe failed: {exc}"
    if probe.returncode != 0:
        return f"bwrap could not start a sandbox (exit {probe.returncode}): {probe.stderr.strip()[-400:]}"
    return None


def _processes() -> Iterable[tuple[int, bytes]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "cmdline").read_bytes()
            except OSError:
                continue


def _pid_namespace(pid: int) -> str | None:
    try:
        return str(Path(f"/proc/{pid}/ns/pid").readlink())
    except OSError:
        return None


def sandbox_processes(paths: SandboxPaths) -> list[int]:
    """Processes of this validation: those naming its directory, and all in their pid namespaces."""
    marker = str(paths.base).encode()
    own_namespace = _pid_namespace(os.getpid())
    named = {pid for pid, cmdline in _processes() if marker in cmdline and pid != os.getpid()}
    namespaces = {ns for pid in named if (ns := _pid_namespace(pid)) and ns != own_namespace}
    if namespaces:
        # Catches what a notebook started under another name (`sleep`, a renamed fork).
        named |= {pid for pid, _ in _processes() if _pid_namespace(pid) in namespaces}
    return sorted(named)


def kill_sandbox_processes(paths: SandboxPaths, *, wait_seconds: float = 5.0) -> list[int]:
    """SIGKILL every process of this validation; returns those still alive after `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while True:
        pids = sandbox_processes(paths)
        if not pids or time.monotonic() > deadline:
            return pids
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def describe(paths: SandboxPaths, limits: SandboxLimits) -> str:
    """One line for the result and the report: what isolated this run."""
    user = "nobody (dropped from root)" if host_uid() != os.geteuid() else "the validator's own uid"
    return (
        f"bwrap (all namespaces unshared, no network but a stub endpoint on 127.0.0.1:{STUB_PORT}, "
        f"read-only /usr and interpreter, writable run dir {paths.run_dir}) under prlimit "
        f"(address space {limits.memory_mb} MiB, cpu {limits.cpu_seconds} s, files {limits.file_size_mb} MiB, "
        f"{limits.open_files} open files, {limits.processes} processes), host user {user}"
    )
