"""The notebook contract (DESIGN.md): every part present, in order, holding what it should.

Parts are found by ALAIN's cell roles, or by headings in notebooks written elsewhere (see
`layout`). Steps and the markdown share are checked by `structure`, the quiz by `assessment`.
Missing parts are errors; thin parts (no audience, unpinned packages, few troubleshooting
entries) are warnings.
"""

from __future__ import annotations

import nbformat

from generation.pipeline.validators import FindingData, validator
from generation.pipeline.validators.contract.closing import check_closing, check_exercises, check_metadata
from generation.pipeline.validators.contract.common import NAME, finding
from generation.pipeline.validators.contract.opening import check_front_matter, check_provider, check_seeds, check_setup
from generation.pipeline.validators.layout import CONTRACT_PARTS, PART_NAMES, Layout, cell_ref, locate, readable


@validator(NAME)
def check_contract(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    layout = locate(nb)
    findings: list[FindingData] = []
    if not layout.built_by_alain and nb.get("cells"):
        findings.append(
            finding(
                "not-an-alain-notebook",
                "info",
                "No cell carries ALAIN's metadata, so the contract's parts were looked for by their headings "
                "(Setup, Step N: ..., Exercises, Assessment, Summary, References, Troubleshooting). The findings "
                "below say what an ALAIN manual holds that this notebook lacks.",
            )
        )
    for check in (
        check_front_matter,
        check_setup,
        check_provider,
        check_seeds,
        check_exercises,
        check_closing,
        check_metadata,
        _order,
    ):
        findings += check(layout)
    return findings


def _order(layout: Layout) -> list[FindingData]:
    """Parts outside the longest run already in contract order are the ones out of place."""
    found = [(part, index) for part in CONTRACT_PARTS if (index := layout.first(part)) is not None]
    if len(found) < 2:
        return []
    best: list[list[int]] = []
    for n, (_, index) in enumerate(found):
        chains = [chain for chain in best[:n] if found[chain[-1]][1] < index]
        best.append([*max(chains, key=len, default=[]), n])
    keep = set(max(best, key=len))
    findings = []
    for n, (part, index) in enumerate(found):
        if n in keep:
            continue
        before = next((found[k][0] for k in sorted(keep, reverse=True) if k < n), None)
        after = next((found[k][0] for k in sorted(keep) if k > n), None)
        where = " and ".join(
            x
            for x in (f"after {PART_NAMES[before]}" if before else "", f"before {PART_NAMES[after]}" if after else "")
            if x
        )
        findings.append(
            finding(
                "section-out-of-order",
                "error",
                f"The {PART_NAMES[part]} section ({cell_ref(layout.nb, index)}) is out of place: the contract puts "
                f"it {where}. Move it there.",
                index,
            )
        )
    return findings
