"""Humana reports written for a test: one row per (policy id, NPN), in the sample's format, so a
test ingests exactly the policies it reasons about through `downline ingest`."""

from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SAMPLES

HEADER = (SAMPLES / "humana-2026-11-24.csv").read_text(encoding="utf-8").splitlines()[0]


@dataclass(frozen=True)
class Row:
    policy_id: str
    npn: str
    status: str = "Active"  # Humana's word: Active, Pending, Deceased
    effective: str = "03/01/2026"  # MM/DD/YYYY
    plan: str = "Value Plus (HMO)"


def humana_report(folder: Path, name: str, rows: list[Row]) -> Path:
    """A Humana CSV of `rows`, written into `folder` as `name`."""
    lines = [HEADER] + [
        f"x,{r.npn},{r.policy_id},1EP6WW78EE48,Chen,Garcia,08/03/1940,H7077,881,x,{r.plan},"
        f"MAPD,Maricopa,AZ,01/10/2026,{r.effective},,{r.status},"
        for r in rows
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
