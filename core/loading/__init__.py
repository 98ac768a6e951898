"""Loading the book of business from JSON Lines files (`downline load DIR`, docs/domain.md).

records.py validates one line (pydantic, at the edge); kinds.py describes each file; batches.py
checks a batch against the database and upserts it; tree.py does agencies, whose checks need the
whole file; loader.py walks the directory, one transaction per file.
"""

from downline.core.loading.loader import ProgressSink, load_directory
from downline.core.loading.report import FileReport, LoadReport, Rejection

__all__ = ["FileReport", "LoadReport", "ProgressSink", "Rejection", "load_directory"]
