"""The notebook layout three validators share during one validation."""

from __future__ import annotations

from unittest import mock

from generation.pipeline.validators import layout, validate_notebook
from tests.generation.pipeline.validators.helpers import demo


def test_locate_is_computed_once_per_notebook_within_shared_layouts():
    nb, other = demo(), demo()
    with layout.shared_layouts():
        first = layout.locate(nb)
        assert layout.locate(nb) is first
        assert layout.locate(other) is not first
    # Outside the block every call locates afresh (a notebook may change between validations).
    assert layout.locate(nb) is not layout.locate(nb)


def test_a_validation_locates_its_notebook_once_and_a_second_validation_again():
    nb = demo()
    with mock.patch.object(layout, "_locate", wraps=layout._locate) as located:
        first = validate_notebook(nb)
        assert located.call_count == 1
        # The notebook changed between two validations: the second one sees the change.
        nb.cells = [cell for cell in nb.cells if cell.cell_type != "code" or "ask(" not in cell.source]
        second = validate_notebook(nb)
        assert located.call_count == 2
    assert first.findings != second.findings
