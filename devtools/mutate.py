"""Mutation testing of the modules where a bug costs a tenant's data, a token or money.

Cosmic Ray makes one small change at a time to a module (a flipped comparison, a removed decorator,
``and`` for ``or``) and runs that module's own tests, not the whole suite: a mutant the tests still
pass on is a change to the code that no test would notice. ``make mutate`` runs this; see
docs/mutation.md for the scores, what each survivor means and how to read the output.

    python -m devtools.mutate                         # every module below, one after the other
    python -m devtools.mutate ams/amazon/vault.py     # one module
    python -m devtools.mutate --sample 40 --seed 1    # 40 mutants per module, the same 40 each time
    python -m devtools.mutate --budget 600            # stop a module after 10 minutes (partial score)

One mutant runs at a time, in one test process: the machine is shared. The module file is
changed in place while its tests run and put back after each mutant (and once more on the way
out, whatever happens), so leave the tree alone while it runs. Sessions are kept in
``.mutation/`` (one SQLite file per module, Cosmic Ray's own format: ``cr-report`` reads them).
"""

from __future__ import annotations

import argparse
import ast
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"


@dataclass(frozen=True)
class Target:
    module: str
    tests: tuple[str, ...]
    # Seconds for one run of the tests, a few times what they take unchanged (under load): past it
    # the mutant counts as killed (a loop that never ends, say), so a high one only costs time.
    timeout: float = 90.0


# Each module with the tests that are about it. A module that does not exist yet is skipped with
# a message, so a target can be listed before the branch that adds it is merged.
TARGETS: tuple[Target, ...] = (
    Target("ams/core/tenancy.py", ("tests/test_tenancy.py",)),
    Target("ams/amazon/vault.py", ("tests/amazon/test_vault.py",)),
    # The route-by-persona probe covers every view too, but takes a minute a run: the team tests
    # and the billing story (a lapsed team is read-only) hold the gate's own rules.
    Target("ams/teams/access.py", ("tests/test_teams.py", "tests/billing/test_flow.py")),
    Target(
        "ams/billing/services.py",
        (
            "tests/billing/test_webhooks.py",
            "tests/billing/test_flow.py",
            "tests/billing/test_config_and_jobs.py",
            "tests/billing/test_email_feedback.py",
        ),
    ),
    Target("ams/amazon/purge.py", ("tests/amazon/test_disconnect.py",)),
    Target("ams/finance/reconcile.py", ("tests/sync/test_money_sync.py",)),
    Target("ams/procurement/cost_rule.py", ("tests/procurement/test_cost_rule.py",)),
    # The arithmetic of cost batches; the worked example (a database test, 40 s a run) holds the
    # replay around it.
    Target("ams/costing/fifo.py", ("tests/costing/test_fifo.py",)),
)


def test_command(target: Target) -> str:
    # -x: the first failure kills the mutant, no need to run the rest. No xdist: one process.
    return shlex.join(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:randomly",
            "-m",
            "not browser",
            *target.tests,
        ]
    )


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's type annotations are. With ``from __future__ import annotations`` they
    are never evaluated, so a mutant inside one (``str | None`` to ``str & None``) cannot change
    behaviour: such mutants are left out rather than reported as survivors."""
    annotations: list[ast.expr | None] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
    return [
        ((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset))
        for a in annotations
        if a is not None and a.end_lineno is not None and a.end_col_offset is not None
    ]


def _in_spans(
    position: tuple[int, int], spans: list[tuple[tuple[int, int], tuple[int, int]]]
) -> bool:
    return any(start <= position < end for start, end in spans)


def _is_keyword_only_marker(lines: list[str], position: tuple[int, int]) -> bool:
    """The bare ``*`` of ``def f(*, a)``: Cosmic Ray takes it for a multiplication, and every
    replacement of it is a syntax error, not a change of behaviour."""
    line, column = position
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return text[column : column + 1] == "*" and text[column + 1 :].lstrip()[:1] in (",", ")")


def _left_out(source: str, mutation: Any) -> str | None:
    """Why a mutant is not worth a test run, or None."""
    position = (int(mutation.start_pos[0]), int(mutation.start_pos[1]))
    if _in_spans(position, _annotation_spans(source)):
        return "in an annotation"
    if _is_keyword_only_marker(source.splitlines(), position):
        return "the keyword-only marker"
    return None


def _config(target: Target) -> str:
    return "\n".join(
        [
            "[cosmic-ray]",
            f'module-path = "{target.module}"',
            f"timeout = {target.timeout}",
            "excluded-modules = []",
            f"test-command = {test_command(target)!r}",
            "",
            "[cosmic-ray.distributor]",
            'name = "local"',
            "",
        ]
    )


def _session(target: Target) -> Path:
    return WORK / (target.module.replace("/", ".").removesuffix(".py") + ".sqlite")


def _init(target: Target, sample: int | None, seed: int) -> None:
    """A new session: every mutant Cosmic Ray can make, less those in annotations, maybe sampled."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    WORK.mkdir(exist_ok=True)
    config = WORK / (_session(target).stem + ".toml")
    config.write_text(_config(target))
    session = _session(target)
    session.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603  (our own interpreter and arguments)
        [sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(session)],
        check=True,
        cwd=ROOT,
    )
    source = (ROOT / target.module).read_text()
    with use_db(str(session)) as db:
        kept = []
        for item in list(db.pending_work_items):
            why = next((w for w in (_left_out(source, m) for m in item.mutations) if w), None)
            if why:
                db.set_result(
                    item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=why)
                )
            else:
                kept.append(item)
        # Cosmic Ray hands pending work out in random order: sort, so a seed picks the same sample.
        kept.sort(
            key=lambda item: [(str(m.operator_name), int(m.occurrence)) for m in item.mutations]
        )
        if sample is not None and sample < len(kept):
            chosen = {item.job_id for item in random.Random(seed).sample(kept, sample)}
            for item in kept:
                if item.job_id not in chosen:
                    db.set_result(
                        item.job_id,
                        WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="not sampled"),
                    )


def _baseline(target: Target) -> bool:
    """The tests must pass on the unchanged module, or every mutant would look killed."""
    run = subprocess.run(  # noqa: S603
        shlex.split(test_command(target)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=target.timeout * 2,
    )
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
    return run.returncode == 0


def _execute(target: Target, budget: float | None, *, retest: bool = False) -> bool:
    """Run the pending mutants (or, with ``retest``, the survivors again, after new tests) one by
    one; False if the budget ran out first."""
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import TestOutcome

    started = time.monotonic()
    with use_db(str(_session(target))) as db:
        if retest:
            pending = [
                item
                for item, result in db.completed_work_items
                if result.test_outcome == TestOutcome.SURVIVED
            ]
        else:
            pending = list(db.pending_work_items)
        for done, item in enumerate(pending, 1):
            if budget is not None and time.monotonic() - started > budget:
                print(
                    f"\n  budget of {budget:.0f}s spent: {len(pending) - done + 1} mutants not run",
                    flush=True,
                )
                return False
            result = mutate_and_test(item.mutations, test_command(target), target.timeout)
            db.set_result(item.job_id, result)
            mark = {
                TestOutcome.KILLED: ".",
                TestOutcome.SURVIVED: "S",
                TestOutcome.INCOMPETENT: "i",
            }.get(result.test_outcome, "?")
            print(mark, end="" if done % 60 else "\n", flush=True)
    print()
    return True


@dataclass
class Score:
    killed: int = 0
    survived: int = 0
    incompetent: int = 0
    not_run: int = 0
    left_out: int = 0
    not_sampled: int = 0

    @property
    def percent(self) -> float:
        tested = self.killed + self.survived
        return 100.0 * self.killed / tested if tested else 100.0


def _results(target: Target) -> tuple[Score, list[tuple[Any, Any]]]:
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    score, survivors = Score(), []
    with use_db(str(_session(target))) as db:
        results = dict(db.results)
        for item in db.work_items:
            result = results.get(item.job_id)
            if result is None:
                score.not_run += 1
            elif result.output == "not sampled":
                score.not_sampled += 1
            elif result.worker_outcome in (WorkerOutcome.SKIPPED, WorkerOutcome.NO_TEST):
                score.left_out += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                score.survived += 1
                survivors.append((item, result))
            elif result.test_outcome == TestOutcome.INCOMPETENT:
                score.incompetent += (
                    1  # the mutant did not even run: counted as killed by Cosmic Ray, not here
                )
            else:
                score.killed += 1
    return score, survivors


def _report(target: Target, show_diffs: bool) -> Score:
    score, survivors = _results(target)
    for item, result in sorted(survivors, key=lambda s: tuple(s[0].mutations[0].start_pos)):
        mutation = item.mutations[0]
        line = mutation.start_pos[0]
        print(
            f"  survived: {target.module}:{line} {mutation.operator_name.split('/')[-1]} (job {item.job_id})"
        )
        if show_diffs and result.diff:
            body = [
                d
                for d in str(result.diff).splitlines()
                if d[:1] in "+-" and d[:3] not in ("+++", "---")
            ]
            print("    " + "\n    ".join(body))
    return score


def _summary_line(target: Target, score: Score) -> str:
    sampled = f", {score.not_sampled} not in the sample" if score.not_sampled else ""
    partial = f", {score.not_run} not run" if score.not_run else ""
    return (
        f"{target.module}: {score.percent:.0f}% killed ({score.killed} of {score.killed + score.survived}; "
        f"{score.incompetent} incompetent, {score.left_out} left out{sampled}{partial})"
    )


def _targets(names: Iterable[str]) -> list[Target]:
    names = list(names)
    if not names:
        return list(TARGETS)
    by_module = {t.module: t for t in TARGETS}
    unknown = [n for n in names if n not in by_module]
    if unknown:
        raise SystemExit(
            f"not a mutation target: {', '.join(unknown)} (see TARGETS in devtools/mutate.py)"
        )
    return [by_module[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("modules", nargs="*", help="module paths from TARGETS (default: all)")
    parser.add_argument(
        "--sample", type=int, help="test this many mutants per module, chosen at random"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="the sample's seed (the same seed, the same mutants)"
    )
    parser.add_argument(
        "--budget", type=float, help="seconds per module; what is left is reported as not run"
    )
    parser.add_argument(
        "--resume", action="store_true", help="go on with the kept sessions instead of new ones"
    )
    parser.add_argument(
        "--retest",
        action="store_true",
        help="run the kept sessions' survivors again (after new tests)",
    )
    parser.add_argument(
        "--report", action="store_true", help="only print the kept sessions' scores"
    )
    parser.add_argument(
        "--no-diffs", action="store_true", help="list survivors without their diffs"
    )
    args = parser.parse_args(argv)

    summary = []
    for target in _targets(args.modules):
        path = ROOT / target.module
        if not path.exists():
            print(f"{target.module}: skipped, the module does not exist on this branch")
            continue
        missing = [t for t in target.tests if not (ROOT / t).exists()]
        if missing:
            print(f"{target.module}: skipped, its tests do not exist: {', '.join(missing)}")
            continue
        print(f"== {target.module} against {' '.join(target.tests)}", flush=True)
        if not args.report:
            original = path.read_bytes()
            try:
                if not ((args.resume or args.retest) and _session(target).exists()):
                    _init(target, args.sample, args.seed)
                if not _baseline(target):
                    print(
                        f"{target.module}: the tests fail on the unchanged module; nothing to measure"
                    )
                    return 1
                _execute(target, args.budget, retest=args.retest)
            finally:
                if path.read_bytes() != original:  # an interrupted mutant: put the module back
                    path.write_bytes(original)
        elif not _session(target).exists():
            print(f"{target.module}: no session kept; run without --report first")
            continue
        summary.append(_summary_line(target, _report(target, show_diffs=not args.no_diffs)))
    print("\n".join(["", "Mutation score per module:", *summary]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
