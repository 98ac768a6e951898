"""An export's file is written and hashed by a thread of its own (core/exports/sink.py): what
arrives is every byte in order with its SHA-256, and a failing disk stops the export with its
own error rather than a file cut short under a digest of what never reached it."""

import hashlib
import io

import pytest

from downline.core.exports.sink import DEPTH, HashingSink


def test_every_block_arrives_in_order_with_its_digest():
    out = io.BytesIO()
    blocks = [f"{n},row {n}\r\n".encode() * (n % 7 + 1) for n in range(5 * DEPTH)]
    reused = bytearray(b"from a reused buffer\r\n")

    with HashingSink(out) as sink:
        for block in blocks:
            sink.write(block)
        sink.write(memoryview(reused))
        reused[:] = b"X" * len(reused)  # the caller's buffer changes once write returned

    expected = b"".join(blocks) + b"from a reused buffer\r\n"
    assert out.getvalue() == expected
    assert sink.size == len(expected)
    assert sink.sha256() == hashlib.sha256(expected).hexdigest()


class FullDisk(io.RawIOBase):
    def __init__(self, room: int) -> None:
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return len(data)


def test_a_write_that_fails_is_raised_to_the_writer_and_never_hangs_it():
    sink = HashingSink(FullDisk(room=100))
    with pytest.raises(OSError, match="No space left"):
        for _ in range(10_000):  # far more than the queue holds: the writer must not block
            sink.write(b"x" * 64)
    sink.close()
    with pytest.raises(OSError, match="No space left"):
        sink.sha256()
