"""Reads one workbook sheet with calamine, in a process of its own (see xlsxread.py).

Run as a script, never imported: it imports nothing of downline, so it starts quickly and holds
nothing but the workbook. argv: the address-space limit in bytes, then the sheet's name as JSON
(null: the first sheet). The workbook comes on stdin; what comes out on stdout is a series of
pickled tuples: ("first", the sheet's first row index), ("rows", [cells, ...]) as many times as
needed, then ("end",); or ("unreadable", stage, reason) when calamine refuses the file.
"""

import io
import json
import pickle
import resource
import sys

BATCH = 1000  # rows a message


def main() -> None:
    limit, sheet = int(sys.argv[1]), json.loads(sys.argv[2])
    # Before the workbook is read: an allocation past this fails, and calamine's abort on it
    # ends this process, not the one that asked for the rows. (Never above a limit already set.)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer

    def send(*message) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)

    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - calamine's errors vary by what the bytes are
        send("unreadable", "workbook", str(exc))
        return
    del data
    try:
        if sheet in book.sheet_names:
            found = book.get_sheet_by_name(sheet)
        else:
            found = book.get_sheet_by_index(0)
        send("first", found.start[0] if found.start else 0)
        batch = []
        for cells in found.iter_rows():
            batch.append(cells)
            if len(batch) == BATCH:
                send("rows", batch)
                batch = []
        send("rows", batch)
    except Exception as exc:  # noqa: BLE001 - as above
        send("unreadable", "sheet", str(exc))
        return
    send("end")
    out.flush()


if __name__ == "__main__":
    main()
