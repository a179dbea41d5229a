"""Stage 6, execution validation: run a manual in a fresh kernel inside a bwrap sandbox.

`execute_notebook(nb)` returns an `ExecutionResult` whose findings (validator "execution") say
which cells failed, timed out, printed too much or never ran, and why the sandbox could not start
when it cannot. See `sandbox.py` for what the kernel can and cannot reach.
"""

from generation.pipeline.execution.run import ExecutionResult, execute_notebook, is_install_cell, notebook_model
from generation.pipeline.execution.sandbox import STUB_API_KEY, SandboxLimits

__all__ = ["STUB_API_KEY", "ExecutionResult", "SandboxLimits", "execute_notebook", "is_install_cell", "notebook_model"]
