"""Where an export's CSV goes as it is written: its file, hashed (SHA-256) and counted on the way.

The hashing and the writing happen in a thread of their own, beside the reading of the next
rows. A big export's reader waits on PostgreSQL for about a quarter of its time, while the hash
and the file write took another tenth of it in line; both release the GIL, so in a thread they
fill those waits instead.
"""

import hashlib
import io
import queue
import threading

DEPTH = 8  # blocks waiting to be written at most: the memory in flight stays small


class HashingSink(io.RawIOBase):
    """A binary file writing to `out` (left open), counting and hashing what goes through. Used
    as a context manager: leaving it waits until everything is written; `sha256()` then gives
    the digest, or raises what the writing raised."""

    def __init__(self, out) -> None:
        self.out, self.size, self._digest = out, 0, hashlib.sha256()
        self._blocks: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="export-sink", daemon=True)
        self._thread.start()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self._failed is not None:  # the disk is full, say: the export stops at once
            raise self._failed
        block = bytes(data)  # a caller's buffer (io.BufferedWriter's) is reused after this
        self._blocks.put(block)
        self.size += len(block)
        return len(block)

    def close(self) -> None:
        if not self.closed:
            self._blocks.put(None)
            self._thread.join()
        super().close()

    def sha256(self) -> str:
        if self._failed is not None:
            raise self._failed
        return self._digest.hexdigest()

    def _drain(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self._failed is not None:
                continue  # taken and dropped, so the writer never blocks on a full queue
            try:
                self._digest.update(block)
                self.out.write(block)
            except BaseException as exc:  # noqa: BLE001 - raised in the writer's thread
                self._failed = exc
