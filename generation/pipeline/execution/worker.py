"""The executor process: runs one notebook with nbclient against the sandboxed kernel.

Started by `generation.pipeline.execution.run` as its own process (and process group), run by
file path with `python -I`, so it imports nothing of ALAIN and a hung client or kernel can be
killed as a whole (nbclient #88, papermill #125). It appends one JSON line per event to the
events file and flushes each one: if it is killed at the wall-clock limit, every cell that
finished is still on disk.

Usage: python -I worker.py <job.json>
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async

AFTER_CAP_CELL_BYTES = 64_000
TRUNCATION_NOTE = "\n[ALAIN validation: output truncated here; the cell printed more than the cap allows]\n"


class CappedClient(NotebookClient):
    """nbclient with a cap on the notebook's total output and a record of which cells timed out."""

    max_output_bytes: int = 5_000_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_bytes = 0
        self.truncated_cells: set[int] = set()
        self.cell_bytes: dict[int, int] = {}
        self.pending: list[asyncio.Future[Any]] = []  # interrupts in flight, kept so they are not collected
        self.timed_out_cells: set[int] = set()
        self.current_index: int | None = None

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        if cell_index in self.truncated_cells:
            return None  # drop everything past the cap, but keep draining the kernel's messages
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        size = len(json.dumps(out))
        self.output_bytes += size
        self.cell_bytes[cell_index] = self.cell_bytes.get(cell_index, 0) + size
        # Past the notebook's cap, each later cell still keeps a little, so a reviewer sees that it ran.
        over_total = self.output_bytes > self.max_output_bytes
        if over_total and (not self.truncated_cells or self.cell_bytes[cell_index] > AFTER_CAP_CELL_BYTES):
            if outs and outs[-1] is out:
                outs.pop()
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=TRUNCATION_NOTE))
            # Stop a flood at its source: interrupt the cell rather than drain megabytes more.
            self.pending.append(asyncio.ensure_future(ensure_async(self.km.interrupt_kernel())))
            self.truncated_cells.add(cell_index)
        return out

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
        if self.current_index is not None:
            self.timed_out_cells.add(self.current_index)
        return await super()._async_handle_timeout(timeout, cell)


class EventLog:
    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def emit(self, **event: Any) -> None:
        self.file.write(json.dumps(event, default=str) + "\n")
        self.file.flush()


def _kernel_manager(job: dict[str, Any]) -> AsyncKernelManager:
    specs = KernelSpecManager(kernel_dirs=[job["kernel_dir"]], ensure_native_kernel=False)
    km = AsyncKernelManager(
        kernel_name=job["kernel_name"],
        kernel_spec_manager=specs,
        transport="ipc",
        ip=job["ipc_path"],
        connection_file=job["connection_file"],
    )
    # Written now (and handed to the sandbox user) because the kernel runs as another user
    # when the validator runs as root; jupyter_client would write it 0600 for us alone.
    km.write_connection_file()
    if job.get("owner"):
        os.chown(job["connection_file"], *job["owner"])
    return km


async def _run(job: dict[str, Any], log: EventLog) -> None:
    nb = nbformat.read(job["notebook"], as_version=4)
    deadline = time.monotonic() + job["total_timeout"]
    client = CappedClient(
        nb,
        km=_kernel_manager(job),
        kernel_name=job["kernel_name"],
        timeout=job["cell_timeout"],
        startup_timeout=job["startup_timeout"],
        interrupt_on_timeout=True,
        # Without this a cell that ignores the interrupt would be interrupted again and again.
        error_on_timeout={"ename": "CellTimeout", "evalue": "cell timed out", "traceback": []},
        allow_errors=True,
        # A random tag: a notebook cannot name it in advance to skip its own cells.
        skip_cells_with_tag=f"never-{uuid.uuid4().hex}",
        record_timing=False,
        store_widget_state=False,
        shutdown_kernel="immediate",
        iopub_timeout=4,
    )
    client.max_output_bytes = job["max_output_bytes"]
    skip = set(job["skip"])
    started = time.monotonic()
    try:
        async with client.async_setup_kernel():
            log.emit(event="kernel-ready", seconds=round(time.monotonic() - started, 3))
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or index in skip or not cell.source.strip():
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.emit(event="notebook-timeout", index=index)
                    return
                client.current_index = index
                cell_started = time.monotonic()
                # Not asyncio.wait_for: nbclient turns the cancellation into DeadKernelError.
                task = asyncio.ensure_future(client.async_execute_cell(cell, index))
                done, _ = await asyncio.wait({task}, timeout=remaining)
                if not done:
                    log.emit(event="notebook-timeout", index=index)
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    return
                try:
                    task.result()
                except DeadKernelError:
                    log.emit(event="kernel-died", index=index, seconds=round(time.monotonic() - cell_started, 3))
                    return
                log.emit(
                    event="cell",
                    index=index,
                    seconds=round(time.monotonic() - cell_started, 3),
                    execution_count=cell.get("execution_count"),
                    outputs=cell.get("outputs", []),
                    timed_out=index in client.timed_out_cells,
                    truncated=index in client.truncated_cells,
                )
    except DeadKernelError as exc:  # died while starting or shutting down
        log.emit(event="kernel-died", index=client.current_index, message=str(exc))
        return
    except (RuntimeError, TimeoutError) as exc:
        if client.current_index is None:
            log.emit(event="kernel-failed", message=f"{type(exc).__name__}: {exc}")
            return
        raise
    log.emit(event="finished")


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    log = EventLog(Path(job["events"]))
    try:
        asyncio.run(_run(job, log))
    except Exception as exc:  # reported as a finding by the parent, never a silent pass
        log.emit(event="worker-crashed", message=f"{type(exc).__name__}: {exc}")
        raise


if __name__ == "__main__":
    main()
