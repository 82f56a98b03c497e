"""Mutation testing of domain/ and projections/ with mutmut 3 (issue #18).

A test that names a rule is not yet a proof of it: this seeds the code with
small bugs (``>=`` for ``>``, ``+ 1`` for ``+ 2``, a dropped condition, a
changed constant) and runs the fast rule tests against each. A mutant the
tests do not notice ("survived") is a rule not proved at its edge, or a
mutant that changes nothing (equivalent; docs/testing.md lists them with why).

Runs on a copy of the tree in build/mutation (git-ignored), never in the work
tree: mutmut writes a mutants/ folder beside the sources, and other work in
the tree must not change the code under test half way through. The copy is
the committed HEAD by default (a score is then a commit's score), or the
files as they are with --worktree. Files are only rewritten when they differ,
so mutmut's cache keeps the verdicts of functions nothing changed.

    .venv/bin/python scripts/mutation.py                      # every module
    .venv/bin/python scripts/mutation.py --modules domain/money.py domain/claim.py
    .venv/bin/python scripts/mutation.py --rerun-survivors    # after adding tests
    .venv/bin/python scripts/mutation.py --report             # the table only

The settings (which tests, which paths) are setup.cfg's [mutmut] section;
the run is ``nice -n 19`` and uses --jobs workers (default 2). Not in CI's
time budget: a script to run before a release.
"""
from __future__ import annotations

import argparse
import configparser
import io
import json
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"
COPIED = ["domain", "projections", "adapters", "scripts", "tests", "setup.cfg", "pyproject.toml"]
MUTMUT = "mutmut>=3.8,<4"

# mutmut's exit codes, as mutmut.stats.status_by_exit_code reads them
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "type check", None: "not checked"}


def python() -> Path:
    return ROOT / ".venv" / "bin" / "python"


def ensure_mutmut() -> None:
    probe = subprocess.run([python(), "-c", "import mutmut"], capture_output=True)
    if probe.returncode != 0:
        print(f"installing {MUTMUT} into .venv", file=sys.stderr)
        subprocess.run([python(), "-m", "pip", "install", "-q", MUTMUT], check=True)


def tree_files(worktree: bool) -> dict[str, bytes]:
    """The files to copy, by path: HEAD's (git archive) or the work tree's."""
    if worktree:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", *COPIED],
                                cwd=ROOT, check=True, capture_output=True, text=True).stdout
        return {p: (ROOT / p).read_bytes() for p in listed.splitlines() if (ROOT / p).is_file()}
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD", "--", *COPIED],
                             cwd=ROOT, check=True, capture_output=True).stdout
    out = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                out[member.name] = tar.extractfile(member).read()
    return out


def sync(files: dict[str, bytes]) -> None:
    """Make WORK hold exactly ``files`` (plus mutmut's mutants/), rewriting
    only what differs so unchanged files keep their times."""
    WORK.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = WORK / rel
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for top in COPIED:
        base = WORK / top
        paths = [base] if base.is_file() else (p for p in base.rglob("*") if p.is_file())
        for p in list(paths):
            rel = p.relative_to(WORK).as_posix()
            if rel not in files and "__pycache__" not in p.parts:
                p.unlink()
                # a mutated copy of a removed source would still be imported
                stale = WORK / "mutants" / rel
                if stale.exists():
                    stale.unlink()


def write_config(modules: list[str]) -> None:
    """The copy's setup.cfg: the project's, restricted to ``modules`` and to
    the listed test files that exist in this tree."""
    cfg = configparser.ConfigParser()
    cfg.read(WORK / "setup.cfg")
    section = cfg["mutmut"]
    tests = [t for t in section["pytest_add_cli_args_test_selection"].split() if (WORK / t).is_file()]
    section["pytest_add_cli_args_test_selection"] = "\n" + "\n".join(tests)
    if modules:
        section["only_mutate"] = "\n" + "\n".join(modules)
    elif "only_mutate" in section:
        del section["only_mutate"]
    with open(WORK / "setup.cfg", "w", encoding="utf-8") as f:
        cfg.write(f)


def verdicts() -> dict[str, dict[str, str]]:
    """Every mutant's status, by source file, from mutmut's .meta files."""
    out: dict[str, dict[str, str]] = {}
    for meta in sorted((WORK / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(WORK / "mutants").as_posix()[:-len(".meta")]
        data = json.loads(meta.read_text(encoding="utf-8"))
        out[source] = {k: STATUS.get(v, "suspicious") for k, v in data["exit_code_by_key"].items()}
    return out


def exit_codes() -> dict[Path, dict[str, Any]]:
    """mutmut's raw verdicts and function hashes, by .meta file."""
    return {meta: json.loads(meta.read_text(encoding="utf-8"))
            for meta in sorted((WORK / "mutants").rglob("*.py.meta"))}


def function_of(key: str) -> str:
    """``domain.money.xǁMoneyǁparse__mutmut_4`` -> ``xǁMoneyǁparse``."""
    return key.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]


def keep_earlier(earlier: dict[Path, dict[str, Any]], ran: list[str]) -> None:
    """After a run of only ``ran``: mutmut forgets the verdict of every other
    mutant of a function whose tests changed (it marks them not checked), but
    a mutant killed before stays killed when tests were only added, and a
    survivor not run again is still a survivor. Put those verdicts back so
    the report counts the whole module, but only for a function whose source
    is unchanged (a changed one numbers its mutants anew, so an old verdict
    may belong to another mutation); --fresh measures from nothing."""
    again = set(ran)
    for meta, before in earlier.items():
        if not meta.is_file():
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes, hashes = data["exit_code_by_key"], data.get("hash_by_function_name", {})
        old_hashes = before.get("hash_by_function_name", {})
        for key, code in before["exit_code_by_key"].items():
            same = hashes.get(function_of(key)) == old_hashes.get(function_of(key)) is not None
            if key in codes and key not in again and codes[key] is None and code is not None \
                    and same:
                codes[key] = code
        meta.write_text(json.dumps(data), encoding="utf-8")


def report(modules: list[str]) -> int:
    table = verdicts()
    if modules:
        table = {k: v for k, v in table.items() if k in modules}
    print(f"{'module':36} {'made':>5} {'killed':>6} {'surv':>5} {'none':>5} {'t/o':>4} {'score':>7}")
    totals: Counter = Counter()
    survivors = []
    for source, by_key in table.items():
        c = Counter(by_key.values())
        made = len(by_key)
        killed = c["killed"] + c["timeout"]
        judged = killed + c["survived"] + c["no tests"]
        score = f"{100 * killed / judged:6.1f}%" if judged else "     -"
        print(f"{source:36} {made:5} {c['killed']:6} {c['survived']:5} {c['no tests']:5} "
              f"{c['timeout']:4} {score:>7}")
        totals.update(c)
        totals["made"] += made
        survivors += [k for k, s in by_key.items() if s in ("survived", "no tests")]
    killed = totals["killed"] + totals["timeout"]
    judged = killed + totals["survived"] + totals["no tests"]
    if judged:
        print(f"{'all':36} {totals['made']:5} {totals['killed']:6} {totals['survived']:5} "
              f"{totals['no tests']:5} {totals['timeout']:4} {100 * killed / judged:6.1f}%")
    (WORK / "survivors.txt").write_text("\n".join(sorted(survivors)) + "\n", encoding="utf-8")
    print(f"survivors and untested mutants: {WORK / 'survivors.txt'} "
          f"(show one: cd {WORK} && ../../.venv/bin/mutmut show NAME)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modules", nargs="*", default=[],
                    help="source files to mutate (domain/money.py ...); default all")
    ap.add_argument("--worktree", action="store_true",
                    help="test the files as they are, not the committed HEAD")
    ap.add_argument("--rerun-survivors", action="store_true",
                    help="run again the mutants that survived or had no test last time "
                         "(after new tests)")
    ap.add_argument("--jobs", type=int, default=2, help="mutmut workers (default 2)")
    ap.add_argument("--report", action="store_true", help="only print the last run's table")
    ap.add_argument("--fresh", action="store_true", help="forget earlier verdicts (rm mutants/)")
    args = ap.parse_args(argv)
    if args.report:
        return report(args.modules)
    ensure_mutmut()
    # mutmut copies every source once and mutates only the files it is told
    # to then, and keeps its test-coverage stats from the first run: a
    # different set of modules needs a fresh mutants/ folder to be measured.
    chosen = WORK / "modules.txt"
    wanted = "\n".join(sorted(args.modules)) + "\n"
    changed = not chosen.is_file() or chosen.read_text(encoding="utf-8") != wanted
    if (args.fresh or changed) and (WORK / "mutants").exists():
        shutil.rmtree(WORK / "mutants")
    WORK.mkdir(parents=True, exist_ok=True)
    chosen.write_text(wanted, encoding="utf-8")
    sync(tree_files(args.worktree))
    write_config(args.modules)
    names: list[str] = []
    earlier = exit_codes() if (WORK / "mutants").exists() else {}
    if args.rerun_survivors:
        names = [k for source, by_key in verdicts().items()
                 if not args.modules or source in args.modules
                 for k, s in by_key.items() if s in ("survived", "no tests")]
        if not names:
            print("no survivors to run again")
            return report(args.modules)
    command = ["nice", "-n", "19", str(ROOT / ".venv" / "bin" / "mutmut"), "run",
               "--max-children", str(args.jobs), *names]
    log = WORK / "mutmut.log"
    print(f"running {len(names) or 'all'} mutants; mutmut's progress in {log}", file=sys.stderr)
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=WORK, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        print(f"mutmut exited {done.returncode}: see {log}", file=sys.stderr)
    if names:
        keep_earlier(earlier, names)
    report(args.modules)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
