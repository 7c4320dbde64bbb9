"""`make mutants`: mutmut over the transform, metrics and suppression code, and its kill rate.

    python -m tests.mutants --with-sql  # `make mutants`: a tenth of the mutants and, beside
                                        # them, the SQL mutations (about 20 minutes on 2 cores)
    python -m tests.mutants             # mutmut only
    python -m tests.mutants --all       # every mutant (several hours)
    python -m tests.mutants --summary   # the summary of the last run only

mutmut's own settings (which files, which tests) are in pyproject.toml ([tool.mutmut]); it
works in mutants/ (ignored by git; `make clean` removes it). Some 3,000 mutants at 2–3 s
each (a fork, a pytest session and the tests that reach the mutated function) do not fit
in 30 minutes on 2 cores, so by default a fixed sample runs: the mutants whose name hashes
to 0 modulo SAMPLE (the same mutants every run, spread over every file and function; with
SAMPLE = 10 a subset of the fifth, hash modulo 5, that earlier runs took). The kill rate
is then an estimate, given with its 95% interval.

The summary — the machine, the time taken, the mutants by outcome per file, the kill rate
and the surviving mutants — is printed and written between the `mutmut` markers of
docs/testing.md. The kill rate is killed (and timed-out) mutants over the mutants run,
but skipped ones: a mutant no test reaches counts as a survivor.

Surviving mutants get a second pass, because mutmut misses two kinds of kill: it runs
for a mutant only the tests it saw call the mutated function, and a module-scoped fixture
(the tiny city built once for tests/test_metrics.py, the Chicago transform of
tests/test_transform.py) calls it for the first test of the module only; and it switches a
mutant on after the modules were imported, so a function that runs at import time (the
helpers that build `core.metrics.REGISTRY`) never runs mutated. The second pass runs the
test files of the mutated module in full (RECHECK), in a fresh process with the mutant on
from the start (MUTANT_UNDER_TEST); a mutant they fail, or cannot even load, is counted
killed. The SQL marts are mutated by tests/breaks.py instead; `--with-sql` runs those
mutations at the same time as mutmut, on the core mutmut leaves idle when it is one process.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
DOC = ROOT / "docs" / "testing.md"
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          37: "caught by type check", -11: "segfault", -9: "segfault", None: "not checked"}
COLUMNS = ["killed", "timeout", "survived", "no tests", "suspicious"]
TARGET = 0.85
SAMPLE = 10         # one mutant in SAMPLE, by the hash of its name
# The second pass: the test files that cover each mutated module, run in full.
TRANSFORM_TESTS = ["tests/test_transform.py", "tests/test_import.py", "tests/test_geocode.py",
                   "-k", "not demo"]
RECHECK = {
    "core/metrics.py": ["tests/test_metrics.py", "-k", "not demo"],
    "data_pipeline/transform.py": TRANSFORM_TESTS,
    "data_pipeline/transform_fields.py": TRANSFORM_TESTS,
    "data_pipeline/marts.py": ["tests/test_metrics.py", "tests/test_disclosure.py", "-k", "not demo"],
    # not tests/test_metrics.py (13 CPU-s a survivor): on the tenth of 4 December 2026 it
    # killed none of the suppression's survivors that the properties left alive
    "data_pipeline/suppression.py": ["tests/test_metrics_properties.py", "-k", "not demo"],
}
SECOND_PASS = MUTANTS / "second-pass.json"
NOTHING = "no-mutant-is-called-this"


def mutmut(*args: str) -> int:
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT).returncode


def prepare() -> None:
    """Make the mutants and mutmut's map of tests, running none (mutmut has no command for
    that: it is asked to run a mutant that does not exist, and says so). Anything else it
    says — a test that fails before any mutation, say — is shown, and stops the run."""
    done = subprocess.run([sys.executable, "-m", "mutmut", "run", NOTHING], cwd=ROOT,
                          capture_output=True, text=True)
    if "nothing matches" not in done.stderr + done.stdout:
        print(done.stdout + done.stderr)
        raise SystemExit("mutmut could not prepare the mutants (above); nothing was run")


def all_results() -> dict[str, int | None]:
    """Every mutant's exit code (None: not run), from mutmut's .meta files."""
    return {key: code for meta in sorted(MUTANTS.rglob("*.py.meta"))
            for key, code in json.loads(meta.read_text())["exit_code_by_key"].items()}


def all_mutants() -> list[str]:
    return sorted(all_results())


def sampled(name: str, every: int = SAMPLE) -> bool:
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % every == 0


def outcomes() -> dict[str, dict[str, str]]:
    """Source file → mutant name → outcome, from mutmut's .meta files and the import-time
    pass; mutants that were not run are left out."""
    found = {}
    second = json.loads(SECOND_PASS.read_text()) if SECOND_PASS.exists() else {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        name = str(meta.relative_to(MUTANTS))[:-len(".meta")]
        found[name] = {key: "killed" if second.get(key) else STATUS.get(code, "suspicious")
                       for key, code in codes.items() if code is not None}
    return found


def killed_in_full(name: str, tests: list[str]) -> bool:
    """Do `tests` fail with mutant `name` switched on from the start of a fresh process?

    A test that fails counts (exit code 1), and so does a mutant that stops the tests from
    being collected at all (exit code 2, "error during collection": a registry helper
    that raises at import time); `collects` checked that they do without a mutant."""
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                               "no:cacheprovider", *tests], cwd=MUTANTS, capture_output=True,
                              text=True, timeout=900,
                              env={**os.environ, "MUTANT_UNDER_TEST": name})
    except subprocess.TimeoutExpired:
        return True                      # as mutmut counts a timeout
    return done.returncode == 1 or (done.returncode == 2
                                    and "error during collection" in done.stdout)


def collects(tests: list[str]) -> None:
    """Stop unless `tests` are collected without error with no mutant switched on."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", *tests], cwd=MUTANTS, capture_output=True,
                          text=True, env={**os.environ, "MUTANT_UNDER_TEST": NOTHING})
    if done.returncode != 0:
        print(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"{' '.join(tests)}: not collected without a mutant (above)")


def second_pass(found: dict[str, dict[str, str]]) -> int:
    """Rerun the survivors against their module's test files in full; how many died."""
    todo = [(key, tests) for file, tests in RECHECK.items()
            for key, outcome in found.get(file, {}).items() if outcome in ("survived", "no tests")]
    for tests in {tuple(tests) for _, tests in todo}:
        collects(list(tests))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        killed = dict(zip([k for k, _ in todo], pool.map(lambda item: killed_in_full(*item), todo)))
    SECOND_PASS.write_text(json.dumps(killed, indent=1, sort_keys=True) + "\n")
    return sum(killed.values())


def kill_rate(counts: Counter) -> float:
    tested = sum(counts.values()) - counts["skipped"]
    return (counts["killed"] + counts["timeout"]) / tested if tested else 0.0


def interval(counts: Counter, population: int) -> str:
    """The 95% interval of the kill rate of all mutants, from a sample (normal approximation
    with the finite-population correction)."""
    n = sum(counts.values()) - counts["skipped"]
    if not n or n >= population:
        return ""
    p = kill_rate(counts)
    half = 1.96 * math.sqrt(p * (1 - p) / n * (population - n) / (population - 1))
    return f" (95% interval for all {population:,} mutants: {p - half:.1%}–{min(p + half, 1):.1%})"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def summary(found: dict[str, dict[str, str]], seconds: float | None, population: int,
            cpu: float | None = None, load: tuple[float, float] | None = None,
            with_sql: bool = False) -> str:
    total: Counter = Counter()
    rows = ["| file | mutants run | " + " | ".join(COLUMNS) + " | kill rate |",
            "|---|---:|" + "---:|" * len(COLUMNS) + "---:|"]
    for name, by_mutant in found.items():
        counts = Counter(by_mutant.values())
        total += counts
        rows.append(f"| `{name}` | {sum(counts.values())} | "
                    + " | ".join(str(counts[c]) for c in COLUMNS) + f" | {kill_rate(counts):.1%} |")
    rows.append(f"| **all** | {sum(total.values())} | "
                + " | ".join(str(total[c]) for c in COLUMNS) + f" | **{kill_rate(total):.1%}** |")
    took = f", {seconds / 60:.1f} minutes" if seconds else ""
    took += f" ({cpu / 60:.0f} CPU-minutes)" if seconds and cpu else ""
    took += " with the SQL mutations" if seconds and with_sql else ""
    took += (f", load average {load[0]:.1f} at the start and {load[1]:.1f} at the end "
             "(other work on the machine counts in it)" if seconds and load else "")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    survivors = sorted(k for by_mutant in found.values() for k, v in by_mutant.items()
                       if v in ("survived", "no tests", "suspicious"))
    head = (f"Last run {when} on {machine()}{took} (`make mutants`: mutmut "
            f"{mutmut_version()}, 2 workers, {sum(total.values()):,} of {population:,} mutants). "
            f"Kill rate **{kill_rate(total):.1%}**{interval(total, population)}; "
            f"target {TARGET:.0%}.\n\n")
    listing = ("\nSurviving mutants (`python -m mutmut show NAME` prints one):\n\n"
               + "".join(f"- `{k}`\n" for k in survivors) if survivors else "")
    return head + "\n".join(rows) + "\n" + listing


def start_sql(log) -> subprocess.Popen:
    """The SQL mutations of tests/breaks.py, beside mutmut: they are one process at a time,
    so alone they leave a core idle, and so does mutmut while it prepares its mutants."""
    return subprocess.Popen([sys.executable, "-m", "tests.breaks", "run", "--set", "sql"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def children_cpu() -> float:
    """CPU seconds used so far by the processes this one started (mutmut, its forks, pytest):
    on a shared machine the wall time says more about the others than about the run."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def mutmut_version() -> str:
    from importlib.metadata import version
    return version("mutmut")


def write_block(text: str, marker: str = "mutmut") -> None:
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    doc = DOC.read_text()
    if start not in doc or end not in doc:
        print(f"{DOC} has no {marker} markers; not written")
        return
    before, rest = doc.split(start, 1)
    DOC.write_text(before + start + text + end + rest.split(end, 1)[1])


def mutate(every: bool) -> None:
    """Prepare, run the sampled (or every) mutant not run yet, then the second pass."""
    prepare()
    todo = [name for name, code in all_results().items()
            if (every or sampled(name)) and code is None]
    if todo:                             # mutmut keeps results of functions that did not change
        mutmut("run", "--max-children", "2", *todo)
    SECOND_PASS.unlink(missing_ok=True)
    print(f"killed by their module's test files in full: {second_pass(outcomes())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="every mutant, not a tenth of them")
    parser.add_argument("--summary", action="store_true", help="summarise the last run only")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results (mutants/)")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/testing.md")
    parser.add_argument("--with-sql", action="store_true",
                        help="run the SQL mutations (tests/breaks.py --set sql) at the same time")
    args = parser.parse_args(argv)
    seconds = cpu = load = sql = None
    sql_log = tempfile.TemporaryFile("w+")
    if args.fresh:
        subprocess.run(["rm", "-rf", str(MUTANTS)], check=True)
    if not args.summary:
        started, used, load_before = time.monotonic(), children_cpu(), os.getloadavg()[0]
        sql = start_sql(sql_log) if args.with_sql else None
        try:
            mutate(args.all)
        except BaseException:
            if sql:
                sql.terminate()
            raise
        if sql:                          # before the docs: both write docs/testing.md
            sql.wait()
            sql_log.seek(0)
            print("\nSQL mutations (tests/breaks.py):\n" + sql_log.read())
        seconds, cpu = time.monotonic() - started, children_cpu() - used
        load = (load_before, os.getloadavg()[0])
    found = outcomes()
    if not any(found.values()):
        print("No mutmut results in mutants/: run `make mutants` first.")
        return 1
    text = summary(found, seconds, len(all_mutants()), cpu, load, args.with_sql)
    print(text)
    if not args.no_docs:
        write_block(text)
    rate = kill_rate(Counter(v for by_mutant in found.values() for v in by_mutant.values()))
    return 0 if rate >= TARGET and not (sql and sql.returncode) else 1


if __name__ == "__main__":
    sys.exit(main())
