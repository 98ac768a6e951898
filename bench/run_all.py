"""`make bench`: every benchmark script in bench/, one after another, each in its own process.

A benchmark is any `bench/*.py` with an `if __name__ == "__main__":` block, except the ones
named in SKIP; a new script dropped into bench/ is picked up by itself. Each script's output is
shown as it runs; at the end, the summary line of each (`name: ... OK|MISSED`). A script that
fails (non-zero exit, or killed after --timeout) makes this exit 1; the others still run. A
missed target is a measurement, not a failure.

    .venv/bin/python bench/run_all.py [keyset api ...] [--timeout SECONDS]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SKIP = {
    "run_all.py": "this runner",
    "common.py": "shared helpers",
    "demo_scale.py": "run by hand: it writes a book into DOWNLINE_DATABASE_URL",
}
VERDICT = re.compile(r"^[\w-]+: .*\b(OK|MISSED)$")


def benchmarks() -> tuple[list[Path], dict[str, str]]:
    scripts, skipped = [], {}
    for path in sorted(BENCH.glob("*.py")):
        if path.name in SKIP:
            skipped[path.name] = SKIP[path.name]
        elif "__main__" not in path.read_text(encoding="utf-8"):
            skipped[path.name] = "no __main__ block (a helper module)"
        else:
            scripts.append(path)
    return scripts, skipped


def run(path: Path, timeout: float) -> tuple[int, float, list[str]]:
    """Run one script, echoing its output; (exit code, seconds, its summary lines)."""
    started = time.monotonic()
    verdicts: list[str] = []
    proc = subprocess.Popen(
        [sys.executable, "-u", str(path)],
        cwd=BENCH.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if VERDICT.match(line.rstrip()):
                verdicts.append(line.rstrip())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"\n{path.name}: still running after {timeout:.0f}s, stopping it", flush=True)
        _stop(proc)
        code = proc.returncode or 1
    except KeyboardInterrupt:
        _stop(proc)
        raise
    reader.join(timeout=10)
    return code, time.monotonic() - started, verdicts


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the script then stops its own servers), then SIGKILL to its process group."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only these (names without .py)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per script")
    args = parser.parse_args()
    scripts, skipped = benchmarks()
    if args.only:
        unknown = set(args.only) - {p.stem for p in scripts}
        if unknown:
            print(f"no such benchmark: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scripts = [p for p in scripts if p.stem in args.only]
    print(f"benchmarks: {', '.join(p.stem for p in scripts)}")
    for name, reason in skipped.items():
        print(f"  not a benchmark: {name} ({reason})")
    results = []
    for path in scripts:
        print(f"\n##### {path.name}", flush=True)
        code, seconds, verdicts = run(path, args.timeout)
        results.append((path.stem, code, seconds, verdicts))
    print("\n##### summary")
    for name, code, seconds, verdicts in results:
        state = "ran" if code == 0 else f"FAILED (exit {code})"
        print(f"{name:<12} {state} in {seconds:.0f}s")
        for line in verdicts or ["(printed no summary line)"]:
            print(f"  {line}")
    failed = [name for name, code, *_ in results if code != 0]
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
