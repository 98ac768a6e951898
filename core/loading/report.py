"""What a load did: counts per file and every rejected record with its file, line and reason."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int  # 1-based, blank lines counted
    reason: str  # names the field at fault

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class FileReport:
    file: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def reject(self, line: int, reason: str) -> None:
        self.rejections.append(Rejection(self.file, line, reason))

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # names in the directory that are no book file

    @property
    def rejections(self) -> list[Rejection]:
        return [rejection for report in self.files for rejection in report.rejections]

    @property
    def ok(self) -> bool:
        return not any(report.rejections for report in self.files)
