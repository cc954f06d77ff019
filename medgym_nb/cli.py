"""The ``medgym`` command: parses, calls the library, prints. No logic of its own."""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import partial, wraps
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._atomic import write_text_atomic
from .agents import LLMAgent, LLMConfig, OracleAgent, ReplayAgent
from .config import EnvConfig
from .errors import MedgymError
from .export import export_run
from .family import get_family, list_families
from .family.check import check_family
from .grading.batch import grade_directory
from .layout import trajectory_notebooks, write_exclusions
from .replay import replay_notebook
from .runner import run_episodes
from .setup import setup_plan
from .tasks import Exclusion, TaskSet, get_task, select_task_set, spread_over_categories
from .tasks.build import build_suites, unbuilt_suites
from .tasks.catalog import resolve_sources
from .tasks.check import informative_shares
from .tasks.generate import generate_suite, rebuild_suite
from .tasks.stats import suite_stats
from .trajectory import read_episode

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Biomedical coding tasks in Jupyter kernels."
)
tasks_app = typer.Typer(no_args_is_help=True, help="Browse task sources.")
app.add_typer(tasks_app, name="tasks")
families_app = typer.Typer(help="The installed task families, and their conformance checks.")
app.add_typer(families_app, name="families")
console = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

SourceOpt = Annotated[
    str,
    typer.Option(
        "--source",
        "-s",
        help="Task source (see `medgym families`), several separated by commas, all, or families (one each).",
    ),
]
PathOpt = Annotated[
    Path | None,
    typer.Option("--path", help="Official MedAgentGym data folder or task file (default: built-in suite)."),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="With --path: the real database to run official tasks on (their released answers stand); "
        "default: a synthetic one, answers re-grounded on it.",
    ),
]


def _clean_errors(fn: F) -> F:
    """Our errors become one line on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MedgymError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _exit_on_problems(problems: list[tuple[str, str]]) -> None:
    """List what went wrong (infrastructure, not agent failures) and exit 1, if anything did."""
    for where, what in problems:
        err.print(f"[yellow]{where}[/yellow]: {what}", highlight=False)
    if problems:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=err,
        transient=False,
    )


def _build(sources: list[str]) -> None:
    """Build the built-in suites of ``sources`` not built yet, in parallel, behind a progress bar."""
    unbuilt = unbuilt_suites(sources)
    if unbuilt:
        with _progress() as bar:
            job = bar.add_task("building suites' data", total=len(unbuilt), status=", ".join(unbuilt))
            build_suites(
                unbuilt, progress=lambda name, _ok: bar.update(job, advance=1, status=f"{name} built")
            )


def _load(
    source: str, split: str | None = None, path: Path | None = None, db: Path | None = None, limit: int = 0
) -> TaskSet:
    """The tasks of one or more sources with what their families excluded. The first use of a built-in suite
    builds its data (``_build``); official files load behind a spinner."""
    if path is None:
        _build(resolve_sources(source))
    with err.status(f"loading {source} tasks (the first use builds their data)"):
        return select_task_set(source, split, path=path, database=db, limit=limit)


def _print_exclusions(excluded: list[Exclusion], shown: int = 10) -> None:
    """How many tasks or rows the families left out, per source, and the first reasons (each with its
    task id and the ``file:line`` of its official row, when it has them)."""
    if not excluded:
        return
    per_source: dict[str, int] = defaultdict(int)
    for e in excluded:
        per_source[e.source or "?"] += 1
    counts = ", ".join(f"{source} {n}" for source, n in sorted(per_source.items()))
    table = Table(title=f"{len(excluded)} task(s) or row(s) excluded by their family ({counts})")
    for col in ("source", "task", "row", "reason"):
        table.add_column(col, overflow="fold")
    for e in excluded[:shown]:
        table.add_row(e.source, e.task_id or "", e.where, e.reason)
    if len(excluded) > shown:
        table.caption = f"{len(excluded) - shown} more not shown"
    console.print(table)


def _service_urls(pairs: list[str]) -> dict[str, str]:
    """``--service-url NAME=URL`` options as ``EnvConfig.service_urls``."""
    urls: dict[str, str] = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name or not url:
            raise MedgymError(f"--service-url takes NAME=URL, got {pair!r}")
        urls[name] = url
    return urls


@tasks_app.command("list")
@_clean_errors
def tasks_list(
    source: SourceOpt = "all",
    split: Annotated[str | None, typer.Option(help="train or test")] = None,
    path: PathOpt = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0: all).")] = 20,
) -> None:
    """List the tasks of a source, a count per category, and the tasks its family excluded."""
    loaded = _load(source, split, path, db)
    tasks = loaded.tasks
    table = Table(title=f"{source}: {len(tasks)} task(s)")
    for col in ("id", "category", "split", "question"):
        table.add_column(col, overflow="fold")
    for t in tasks[: limit or None]:
        table.add_row(t.id, t.category, t.split, t.question)
    console.print(table)
    counts: dict[str, int] = defaultdict(int)
    for t in tasks:
        counts[t.category] += 1
    console.print(", ".join(f"{c}: {n}" for c, n in sorted(counts.items())), highlight=False)
    _print_exclusions(loaded.excluded)


@families_app.callback(invoke_without_command=True)
@_clean_errors
def families_cmd(
    ctx: typer.Context,
    only: Annotated[
        list[str] | None,
        typer.Option("--family", "-f", help="List only these families (their suites' data only are built)."),
    ] = None,
) -> None:
    """List the installed task families: their sources, built-in suites, categories and task counts."""
    if ctx.invoked_subcommand is not None:
        return
    chosen = [get_family(name) for name in only] if only else list_families()
    _build([source for family in chosen for source in family.suite_sources])  # all at once, not one by one
    table = Table(title="task families")
    for col in ("family", "source", "suite", "categories", "tasks", "excluded"):
        table.add_column(col, overflow="fold")
    for family in chosen:
        for source in family.sources:
            if source not in family.suite_sources:
                table.add_row(family.name, source, "official files (--path)", "", "", "")
                continue
            loaded = _load(source)
            counts: dict[str, int] = defaultdict(int)
            for task in loaded.tasks:
                counts[task.category] += 1
            listing = ", ".join(f"{c} ({n})" for c, n in sorted(counts.items()))
            table.add_row(
                family.name, source, "built-in", listing, str(len(loaded.tasks)), str(len(loaded.excluded))
            )
    console.print(table)


@families_app.command("check")
@_clean_errors
def families_check(
    names: Annotated[list[str] | None, typer.Argument(help="Families to check (default: every one).")] = None,
    path: Annotated[
        Path | None,
        typer.Option("--path", help="A MedAgentGym data folder whose official rows to check too."),
    ] = None,
    sample: Annotated[int, typer.Option(help="Oracle episodes per source.")] = 3,
    sandbox: Annotated[str, typer.Option(help="auto, bwrap, zygote, docker or local")] = "auto",
) -> None:
    """Run the family conformance checks (as Gymnasium's check_env does for an environment); exit 1 on a failure."""
    chosen = names or [f.name for f in list_families()]
    failed = 0
    for name in chosen:
        with err.status(f"checking family {name}"):
            report = check_family(name, official=path, sample=sample, sandbox=sandbox)
        table = Table(title=f"family {name}: {'passed' if report.passed else 'FAILED'}")
        for col in ("check", "result", "detail"):
            table.add_column(col, overflow="fold")
        for check in report.checks:
            verdict = "[green]ok[/green]" if check.passed else "[red]failed[/red]"
            table.add_row(check.name, verdict, check.detail)
        console.print(table)
        _print_exclusions(report.excluded)
        failed += not report.passed
    if failed:
        raise typer.Exit(1)


@app.command()
@_clean_errors
def setup(
    names: Annotated[
        list[str] | None, typer.Argument(help="Families to set up (default: every one).")
    ] = None,
    data: Annotated[
        bool, typer.Option(help="Also build the built-in suites' data now (else on first use).")
    ] = True,
    environments: Annotated[
        bool, typer.Option(help="Also build the families' kernel environments now (else on first use).")
    ] = True,
) -> None:
    """Install and build what the families need: service packages, kernel environments, suites' data."""
    plan = setup_plan(names, data=data, environments=environments)
    problems: list[tuple[str, str]] = []
    with _progress() as bar:
        job = bar.add_task("setting up", total=len(plan), status="")
        for family, step in plan:
            bar.update(job, status=f"{family}: {step.what}")
            try:
                step.run()
            except MedgymError as exc:  # one family's failure leaves the others set up
                problems.append((f"{family}: {step.what}", str(exc)))
            bar.update(job, advance=1)
        bar.update(job, status="done")
    _exit_on_problems(problems)


@tasks_app.command("check")
@_clean_errors
def tasks_check(
    source: SourceOpt = "all",
    path: PathOpt = None,
    db: DbOpt = None,
    weakest: Annotated[int, typer.Option(help="Categories to show per source, weakest first.")] = 10,
) -> None:
    """The share of tasks whose expected answer is informative (not empty, None or 0), per category, and the
    tasks the families excluded, with why."""
    loaded = _load(source, None, path, db)
    shares = informative_shares(loaded.tasks)
    table = Table(title=f"{source}: informative answers")
    for col, just in (("category", "left"), ("tasks", "right"), ("informative", "right"), ("share", "right")):
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    rows = [a for a in shares if a.category != "all"][:weakest] + [a for a in shares if a.category == "all"]
    for a in rows:
        style = "bold" if a.category == "all" else None
        table.add_row(a.category, str(a.tasks), str(a.informative), f"{a.share:.0%}", style=style)
    console.print(table)
    console.print(_per_source(loaded))
    _print_exclusions(loaded.excluded, shown=len(loaded.excluded))


def _per_source(loaded: TaskSet) -> Table:
    """Tasks loaded and tasks or rows excluded, per source."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for task in loaded.tasks:
        counts[task.source][0] += 1
    for e in loaded.excluded:
        counts[e.source or "?"][1] += 1
    table = Table(title="per source")
    for col in ("source", "tasks", "excluded"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for source, (tasks, excluded) in sorted(counts.items()):
        table.add_row(source, str(tasks), str(excluded))
    return table


@tasks_app.command("generate")
@_clean_errors
def tasks_generate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the suite to (must not hold one).")],
    source: SourceOpt = "all",
    n: Annotated[
        int, typer.Option("--n", help="Tasks in all, shared in MedAgentGym's mix of sources.")
    ] = 72_000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    split_by: Annotated[
        str,
        typer.Option(
            "--split-by", help="family (each family's own split) or template (no template in two splits)."
        ),
    ] = "family",
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", help="Rebuild the suite this manifest.json describes, byte-identical."),
    ] = None,
) -> None:
    """Generate a suite of distinct tasks at training scale (tasks.jsonl, manifest.json, data/)."""
    if split_by not in ("family", "template"):
        raise MedgymError(f"--split-by takes family or template, got {split_by!r}")
    start = time.monotonic()
    with _progress() as bar:
        total = bar.add_task("generating", total=None if manifest else n, status="")

        def advance(src: str, k: int) -> None:
            bar.update(total, advance=k, status=src)

        if manifest is not None:
            made = rebuild_suite(manifest, out, advance)
        else:
            made = generate_suite(out, source, n=n, seed=seed, split_by=split_by, progress=advance)  # type: ignore[arg-type]
    table = Table(title=f"{out}: {made.tasks} task(s) in {time.monotonic() - start:.0f} s")
    for col in ("source", "generator", "requested", "made", "duplicates dropped", "seconds"):
        table.add_column(col)
    for p in made.sources:
        table.add_row(
            p.source, p.generator, str(p.requested), str(p.made), str(p.duplicates), f"{p.seconds:.0f}"
        )
    console.print(table)


@tasks_app.command("stats")
@_clean_errors
def tasks_stats(
    directory: Annotated[Path, typer.Argument(help="A generated suite (medgym tasks generate --out).")],
    all_categories: Annotated[
        bool, typer.Option("--all", help="Every category, not only degenerate ones.")
    ] = False,
) -> None:
    """Counts per source, category and split, and answer types (empty, zero, repeated) per category."""
    stats = suite_stats(directory)
    table = Table(title=f"{directory}: {stats.tasks} task(s), {len(stats.categories)} categories")
    for col in ("source", "tasks"):
        table.add_column(col)
    for src, count in sorted(stats.by_source.items()):
        table.add_row(src, str(count))
    table.add_row("splits", ", ".join(f"{k} {v}" for k, v in sorted(stats.by_split.items())), style="bold")
    console.print(table)
    cats = Table(
        title="categories"
        if all_categories
        else "degenerate categories (most answers empty, zero or one value)"
    )
    for col in ("source", "category", "tasks", "splits", "empty", "zero", "repeated", "top answer"):
        cats.add_column(col, overflow="fold")
    for c in stats.categories:
        if all_categories or c.degenerate:
            splits = ", ".join(f"{k} {v}" for k, v in sorted(c.splits.items()))
            cats.add_row(
                c.source,
                c.category,
                str(c.tasks),
                splits,
                str(c.empty),
                str(c.zero),
                str(c.repeated),
                f"{c.top_share:.0%}",
                style="red" if c.degenerate else None,
            )
    console.print(cats)


@tasks_app.command("show")
@_clean_errors
def tasks_show(
    task_id: str,
    source: Annotated[str | None, typer.Option("--source", "-s")] = None,
    path: PathOpt = None,
) -> None:
    """Show one task in full (as JSON)."""
    console.print_json(get_task(task_id, source=source, path=path).model_dump_json())


def _summary(rows: Iterable[tuple[str, bool, float]], title: str) -> Table:
    stats: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for key, passed, reward in rows:
        for k in (key, "all"):
            stats[k][0] += 1
            stats[k][1] += passed
            stats[k][2] += reward
    table = Table(title=title)
    for col, just in (
        ("source / category", "left"),
        ("episodes", "right"),
        ("passed", "right"),
        ("success", "right"),
        ("mean reward", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for key in sorted(stats, key=lambda k: (k == "all", k)):
        n, ok, reward = stats[key]
        table.add_row(
            key,
            str(int(n)),
            str(int(ok)),
            f"{ok / n:.0%}",
            f"{reward / n:.3f}",
            style="bold" if key == "all" else None,
        )
    return table


@app.command()
@_clean_errors
def run(
    source: SourceOpt = "all",
    agent: Annotated[str, typer.Option(help="oracle, replay or llm")] = "oracle",
    out: Annotated[Path, typer.Option(help="Run directory (notebooks + results.jsonl).")] = Path(
        "runs/latest"
    ),
    limit: Annotated[
        int, typer.Option(help="At most this many tasks per source, spread over categories (0: all).")
    ] = 0,
    split: Annotated[str | None, typer.Option(help="train or test")] = "test",
    path: PathOpt = None,
    db: DbOpt = None,
    replay_from: Annotated[
        Path | None,
        typer.Option("--from", help="With --agent replay: a run directory whose notebooks to replay."),
    ] = None,
    sandbox: Annotated[
        str,
        typer.Option(help="auto (bubblewrap when it works), bwrap, zygote (forked, faster), docker or local"),
    ] = "auto",
    pool: Annotated[int, typer.Option(help="Kernels kept pre-started in the background.")] = 1,
    preimport: Annotated[bool, typer.Option(help="Pre-import numpy/pandas in pooled kernels.")] = False,
    max_turns: Annotated[int, typer.Option(help="Turn limit per episode.")] = 15,
    timeout: Annotated[float, typer.Option(help="Per-cell time limit, seconds.")] = 120.0,
    episode_timeout: Annotated[
        float | None, typer.Option(help="Wall-clock limit per episode, seconds (default: none).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Re-run episodes that already have a notebook.")
    ] = False,
    concurrency: Annotated[int, typer.Option(help="Episodes run at once.")] = 1,
    rollouts: Annotated[int, typer.Option(help="Samples per task (notebooks <task>.r<k>.ipynb).")] = 1,
    base_url: Annotated[
        str, typer.Option(help="--agent llm: OpenAI-compatible endpoint (key from $OPENAI_API_KEY).")
    ] = "http://127.0.0.1:8000/v1",
    model: Annotated[str, typer.Option(help="--agent llm: model name.")] = "default",
    temperature: Annotated[float, typer.Option(help="--agent llm: sampling temperature.")] = 0.0,
    max_tokens: Annotated[int, typer.Option(help="--agent llm: tokens per completion.")] = 2048,
    token_budget: Annotated[
        int | None, typer.Option(help="--agent llm: tokens per episode before it stops.")
    ] = None,
    tool_calls: Annotated[
        bool,
        typer.Option(
            "--tool-calls",
            help="--agent llm: native tool calls (the endpoint's tools API) instead of JSON in text.",
        ),
    ] = False,
    backend: Annotated[
        str, typer.Option(help="local (asyncio on this machine) or ray (a Ray cluster)")
    ] = "local",
    address: Annotated[
        str | None, typer.Option(help="--backend ray: cluster address (default: start a local Ray).")
    ] = None,
    service_url: Annotated[
        list[str] | None,
        typer.Option(help="NAME=URL: run a family's service on your own server instead of its embedded one."),
    ] = None,
) -> None:
    """Run episodes with an agent; each becomes a notebook under --out. Resumes by default."""
    excluded: list[Exclusion] = []
    if agent == "llm":
        loaded = _load(source, split, path, db, limit)
        tasks, excluded = loaded.tasks, loaded.excluded
        config = LLMConfig(
            base_url=base_url,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            token_budget=token_budget,
            tool_calls=tool_calls,
        )
        make_agent: Callable[[Any], Any] = lambda _task: LLMAgent(config)  # noqa: E731
    elif agent == "oracle":
        loaded = _load(source, split, path, db, limit)
        tasks, excluded = loaded.tasks, loaded.excluded
        make_agent = lambda _task: OracleAgent()  # noqa: E731
    elif agent == "replay":
        if replay_from is None:
            raise MedgymError("--agent replay needs --from DIR (a run directory to replay)")
        episodes = {ep.task.id: ep for ep in map(read_episode, trajectory_notebooks(replay_from))}
        tasks = [ep.task for ep in episodes.values()]
        make_agent = lambda task: ReplayAgent(episodes[task.id])  # noqa: E731
        if limit:
            tasks = spread_over_categories(tasks, limit)
    else:
        raise MedgymError(f"unknown agent {agent!r}; choose oracle, replay or llm")
    if not tasks:
        raise MedgymError("no tasks to run (check --source, --split, --path)")
    write_exclusions(out, excluded)
    with _progress() as bar:
        job = bar.add_task(f"{agent} on {source}", total=len(tasks) * rollouts, status="")
        done, passed, started = 0, 0, time.monotonic()

        def tick(result: Any) -> None:
            nonlocal done, passed
            done += 1
            passed += result.passed
            rate = done / max(time.monotonic() - started, 1e-9) * 60
            bar.update(job, advance=1, status=f"success {passed / done:.0%} · {rate:.1f} episodes/min")

        if backend == "ray":
            from .ray_backend import run_episodes_ray

            runner: Callable[..., list[Any]] = partial(run_episodes_ray, address=address)
        elif backend == "local":
            runner = run_episodes
        else:
            raise MedgymError(f"unknown backend {backend!r}; choose local or ray")
        env_config = EnvConfig.build(
            sandbox=sandbox,
            max_turns=max_turns,
            cell_timeout=timeout,
            episode_timeout=episode_timeout,
            pool_size=pool,
            preimport=preimport,
            service_urls=_service_urls(service_url or []),
        )
        results = runner(
            tasks,
            make_agent,
            out,
            resume=not fresh,
            progress=tick,
            config=env_config,
            concurrency=concurrency,
            rollouts=rollouts,
        )
    rows = ((f"{r.source} / {r.category}", r.passed, r.reward) for r in results)
    console.print(_summary(rows, f"{agent} run → {out}"))
    sandboxes = Counter(r.sandbox for r in results if r.sandbox)
    console.print(
        "sandbox: " + (", ".join(f"{name} ({n})" for name, n in sandboxes.most_common()) or "none started"),
        highlight=False,
    )
    _exit_on_problems([(r.task_id, r.error) for r in results if r.error])


@app.command()
@_clean_errors
def grade(
    directory: Annotated[Path, typer.Argument(help="A run directory of trajectory notebooks.")],
    force: Annotated[
        bool, typer.Option("--force", help="Re-grade notebooks that already have a grade.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Parallel graders, each with its own warm kernel.")] = 2,
    cold: Annotated[
        bool, typer.Option("--cold", help="papermill's usual fresh kernel per notebook (slow).")
    ] = False,
    replay_state: Annotated[
        bool,
        typer.Option(
            "--replay-state",
            help="Tasks graded on kernel state (asserts run in the episode's kernel): replay each episode in a fresh "
            "sandboxed kernel and grade the state found there, not the recorded one.",
        ),
    ] = False,
) -> None:
    """Grade every trajectory notebook under DIRECTORY with papermill (writes *.grade.ipynb, grades.jsonl)."""
    total = len(trajectory_notebooks(directory))
    with _progress() as bar:
        job = bar.add_task("grading", total=total, status="")
        records = grade_directory(
            directory,
            force=force,
            workers=workers,
            warm=not cold,
            replay_state=replay_state,
            progress=lambda r: bar.update(job, advance=1, status=r.status),
        )
    rows = [
        (f"{r.source} / {r.category}" if r.category else "(unreadable)", bool(r.passed), r.score or 0.0)
        for r in records
    ]
    console.print(_summary(rows, f"papermill grades → {directory / 'grades.jsonl'}"))
    _exit_on_problems([(r.notebook, r.message) for r in records if r.status == "error"])


@app.command()
@_clean_errors
def replay(
    target: Annotated[Path, typer.Argument(help="A trajectory notebook, or a directory of them.")],
    out: Annotated[Path, typer.Option(help="Where the replayed notebooks go.")] = Path("runs/replay"),
    sandbox: Annotated[str, typer.Option(help="auto, bwrap, zygote, docker or local")] = "auto",
    timeout: Annotated[float, typer.Option(help="Per-cell time limit, seconds.")] = 120.0,
) -> None:
    """Re-run notebooks in fresh kernels and compare outputs cell by cell; exit 1 if any diverges."""
    paths = [target] if target.is_file() else trajectory_notebooks(target)
    diverged = 0
    for path in paths:
        report = replay_notebook(path, out, EnvConfig.build(sandbox=sandbox, cell_timeout=timeout))
        table = Table(title=f"{path} → {report.replayed}")
        for col in ("cell", "action", "result"):
            table.add_column(col)
        for cell in report.cells:
            table.add_row(str(cell.index), cell.action, "same" if cell.same else "[red]differs[/red]")
        console.print(table)
        for cell in report.cells:
            if cell.diff:
                console.print(f"cell {cell.index}:\n{cell.diff}", highlight=False, markup=False)
        verdict = "reproduced" if report.reproduced else "DIVERGED"
        console.print(
            f"{verdict}: passed {report.original_passed} → {report.replayed_passed}", highlight=False
        )
        diverged += not report.reproduced
    if diverged:
        err.print(f"{diverged} of {len(paths)} notebook(s) did not reproduce", highlight=False)
        raise typer.Exit(1)


@app.command()
@_clean_errors
def report(
    directory: Annotated[Path, typer.Argument(help="A run directory.")],
    compare: Annotated[Path | None, typer.Option(help="A second run to show side by side.")] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write the HTML report here (default DIR/report.html).")
    ] = None,
) -> None:
    """Success by source/category/agent, turns, failure taxonomy; a terminal table and an HTML report."""
    from .report import render_html, summarise_run  # matplotlib and pandas: ~0.7 s of every command's start

    runs = [summarise_run(directory)] + ([summarise_run(compare)] if compare else [])
    sources = sorted({s for run in runs for s in run.success_by("source")})
    table = Table(title="success by source (categories: the HTML report)")
    table.add_column("source")
    for run in runs:
        table.add_column(run.root, justify="right")
    for source in [*sources, "all"]:
        cells = []
        for run in runs:
            ok, n = (
                run.success_by("source").get(source, (0, 0))
                if source != "all"
                else (sum(r.passed for r in run.rows), len(run.rows))
            )
            cells.append(f"{ok}/{n} ({ok / n:.0%})" if n else "—")
        table.add_row(source, *cells, style="bold" if source == "all" else None)
    for label, value in (
        (
            "turns per episode (mean)",
            lambda run: f"{sum(r.turns for r in run.rows) / max(len(run.rows), 1):.1f}",
        ),
        ("tokens", lambda run: str(run.tokens)),
        ("sandbox", lambda run: ", ".join(run.sandboxes) or "—"),
        ("unreadable notebooks", lambda run: str(len(run.unreadable))),
    ):
        table.add_row(label, *(value(run) for run in runs))
    console.print(table)
    failures = Table(title="failures")
    failures.add_column("failure")
    for run in runs:
        failures.add_column(run.root, justify="right")
    for label in sorted({k for run in runs for k in run.failures}):
        failures.add_row(label, *(str(run.failures.get(label, 0)) for run in runs))
    console.print(failures)
    target = html or directory / "report.html"
    write_text_atomic(target, render_html(runs[0], runs[1] if compare else None))
    console.print(f"HTML report: {target}", highlight=False)


@app.command()
@_clean_errors
def view(
    directories: Annotated[list[Path], typer.Argument(help="Run directories (two or more: compared).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    bundle: Annotated[
        Path | None, typer.Option(help="Write the viewer as static files here (no server) and exit.")
    ] = None,
) -> None:
    """Browse runs episode by episode: an index to sort, filter and search, episode pages, run comparison."""
    from .viewer import ViewerServer, write_bundle

    for d in directories:
        if not d.is_dir():
            raise MedgymError(f"not a run directory: {d}")
    if bundle is not None:
        page = write_bundle(directories, bundle)
        console.print(f"static viewer: {page.resolve().as_uri()}", highlight=False)
        return
    server = ViewerServer(directories, port)
    console.print(f"medgym view on {server.url} (Ctrl-C stops)", highlight=False)
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
@_clean_errors
def export(
    directory: Annotated[Path, typer.Argument(help="A run directory.")],
    fmt: Annotated[str, typer.Option("--format", help="sft, dpo or medagentgym")] = "sft",
    out: Annotated[Path | None, typer.Option(help="Output file (sft, dpo) or folder (medagentgym).")] = None,
) -> None:
    """Export trajectories for training: SFT chat JSONL, DPO pairs, or MedAgentGym history_<idx>.json files."""
    if fmt not in {"sft", "dpo", "medagentgym"}:
        raise MedgymError(f"unknown format {fmt!r}; choose sft, dpo or medagentgym")
    target = out or directory / ("medagentgym" if fmt == "medagentgym" else f"{fmt}.jsonl")
    count = export_run(directory, target, fmt)  # type: ignore[arg-type]
    console.print(f"{count} {fmt} record(s) → {target}", highlight=False)


@app.command()
@_clean_errors
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="MEDGYM_SERVE_TOKEN", help="Bearer token clients must send (required off loopback)."
        ),
    ] = None,
    max_sessions: Annotated[int, typer.Option(help="Sessions held at once; one more gets 429.")] = 256,
    idle_timeout: Annotated[
        float, typer.Option(help="Seconds without a request before a session is reaped.")
    ] = 600.0,
    drain_grace: Annotated[
        float, typer.Option(help="On SIGTERM: seconds a running step gets to finish.")
    ] = 60.0,
    sandbox: Annotated[
        str, typer.Option(help="auto, bwrap, zygote (forked: for many sessions), docker or local")
    ] = "auto",
    pool: Annotated[int, typer.Option(help="Kernels each session keeps pre-started for its next reset.")] = 0,
    max_turns: Annotated[int, typer.Option(help="Turn limit per episode.")] = 15,
    timeout: Annotated[float, typer.Option(help="Per-cell time limit, seconds.")] = 120.0,
    episode_timeout: Annotated[
        float | None, typer.Option(help="Wall-clock limit per episode, seconds (default: none).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds the sessions' task draws.")] = 0,
    out: Annotated[Path, typer.Option(help="Run directory: every episode's notebook, per session.")] = Path(
        "runs/serve"
    ),
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve the environment over HTTP and WebSocket (REST and the OpenEnv protocol) until SIGTERM."""
    from .serve.server import serve as run_server
    from .serve.sessions import SessionLimits

    config = EnvConfig.build(
        sandbox=sandbox,
        max_turns=max_turns,
        cell_timeout=timeout,
        episode_timeout=episode_timeout,
        pool_size=pool,
    )
    limits = SessionLimits(
        max_sessions=max_sessions, idle_timeout=idle_timeout, drain_grace=drain_grace, seed=seed
    )
    run_server(config, out, limits, host=host, port=port, token=token, log_level=log_level)


def _add_plugin_commands() -> None:
    """Command groups that installed packages contribute (``medgym_nb.commands`` entry points), by their name."""
    for ep in entry_points(group="medgym_nb.commands"):
        app.add_typer(ep.load(), name=ep.name)


_add_plugin_commands()


def main() -> None:  # pragma: no cover - console script entry
    sys.exit(app())
