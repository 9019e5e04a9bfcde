"""Command-line interface: click commands only.

Each command calls into the library and turns `DoctorError` into one line on stderr and a
documented exit code (see errors.ExitCode). Nothing here imports docker: `doctor --help`
stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from dockerdoctor import __version__
from dockerdoctor.errors import DoctorError, ExitCode, NotFound, UsageError

FORMATS = ("text", "markdown", "json")
SEVERITIES = ("error", "warning", "info", "none")


class Settings:
    def __init__(self, debug: bool, host: str | None, timeout: int) -> None:
        self.debug = debug
        self.host = host
        self.timeout = timeout

    def client(self) -> Any:
        from dockerdoctor.engine import EngineClient

        return EngineClient(self.host, timeout=self.timeout)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dockerdoctor")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.option("--host", "-H", metavar="URL",
              help="Engine to talk to (default: DOCKER_HOST, the current context, or the "
                   "local socket).")
@click.option("--timeout", type=click.IntRange(1, 3600), default=60, show_default=True,
              help="Seconds to wait for each engine call.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, host: str | None, timeout: int) -> None:
    """dockerdoctor: explains why a Docker container crashed.

    \b
    Example:
      doctor inspect            # the container that failed most recently
      doctor inspect web -f markdown -o report.md
    """
    ctx.obj = Settings(debug, host, timeout)


def _parse_time(value: str | None, label: str) -> Any:
    if value is None:
        return None
    from dockerdoctor.times import parse_time_arg

    try:
        return parse_time_arg(value)
    except UsageError as e:
        raise UsageError(f"--{label}: {e.message}") from e


def _use_color(choice: str, output: str | None) -> bool:
    if choice == "always":
        return True
    if choice == "never" or output is not None or "NO_COLOR" in os.environ:
        return False
    return sys.stdout.isatty()


@cli.command()
@click.argument("containers", nargs=-1, metavar="[ID|NAME]...")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to FILE instead of stdout.")
@click.option("--tail", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="How many of the last log lines to read.")
@click.option("--since", metavar="TIME",
              help="Only logs since TIME: a duration before now (10m, 1h30m, 2d) or a time "
                   "(2026-01-31T14:00:00Z).")
@click.option("--until", metavar="TIME", help="Only logs until TIME (same forms as --since).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="none", show_default=True,
              help="Exit 5 when a finding of this severity or worse is found.")
@click.option("--no-redact", is_flag=True,
              help="Show secrets as they are (redaction is on by default: reports are shared).")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              show_default=True, help="Colour in text output (auto: on a terminal, off with "
                                      "NO_COLOR).")
@click.option("--deep/--no-deep", default=None,
              help="Force or forbid deep forensics (default: run it when the logs do not "
                   "explain the failure).")
@click.option("--keep-debug-image", is_flag=True,
              help="Keep the debug image deep forensics commits, and say how to enter it.")
@click.option("--deep-timeout", type=click.IntRange(5, 600), default=30, show_default=True,
              help="Seconds the debug container may run before it is killed.")
@click.option("--toolbox", metavar="IMAGE",
              help="For shell-less images: copy a static busybox from IMAGE into the debug "
                   "copy so deep forensics can run its probes.")
@click.option("--bundle", "bundle_path", metavar="PATH",
              help="Also write an attachable bundle: PATH.tar.gz, or a new directory.")
@click.option("--bundle-max-mb", type=click.IntRange(1, 1024), default=10, show_default=True,
              help="Cap on the bundle's size; what does not fit is listed in its manifest.")
@click.option("--project", metavar="NAME",
              help="Every container of this Compose project in one report, and how their "
                   "failures relate.")
@click.pass_obj
def inspect(settings: Settings, containers: tuple[str, ...], fmt: str, output: str | None,
            tail: int, since: str | None, until: str | None, fail_on: str, no_redact: bool,
            color: str, deep: bool | None, keep_debug_image: bool, deep_timeout: int,
            toolbox: str | None, bundle_path: str | None, bundle_max_mb: int,
            project: str | None) -> None:
    """Explain why a container failed, from its state, exit code, events and logs.

    With no ID, diagnoses the container that failed most recently. Reads only: the
    container is never started, stopped, paused or changed.

    \b
    Examples:
      doctor inspect web
      doctor inspect 3f2a --format markdown --output report.md
      doctor inspect web --since 10m --fail-on error
    """
    from dockerdoctor import diagnose
    from dockerdoctor.engine import LogOptions
    from dockerdoctor.forensics import DeepOptions

    options = LogOptions(tail=tail, since=_parse_time(since, "since"),
                         until=_parse_time(until, "until"))
    if options.since and options.until and options.since >= options.until:
        raise UsageError("--since must be before --until")
    if bundle_path and len(containers) > 1:
        raise UsageError("--bundle takes one container")
    if bundle_path:
        from dockerdoctor.bundle import check_target

        check_target(bundle_path)
    deep_options = DeepOptions(mode={True: "on", False: "off", None: "auto"}[deep],
                               keep_image=keep_debug_image, timeout=float(deep_timeout),
                               toolbox=toolbox or "")
    client = settings.client()
    if project:
        if containers or bundle_path:
            raise UsageError("--project takes no container IDs and no --bundle")
        from dockerdoctor import compose
        from dockerdoctor.report import compose as compose_report

        r = compose.report(client, project, lambda cid: diagnose.diagnose(
            client, cid, options, redact=not no_redact, deep=deep_options)[0])
        body = (compose_report.render_json(r) if fmt == "json" else
                compose_report.render_markdown(r) if fmt == "markdown" else
                compose_report.render_text(r, _use_color(color, output)))
        _emit(body, output)
        _exit_for(fail_on, [f for m in r.members if m.diagnosis for f in m.diagnosis.findings],
                  None)
        return
    refs = list(containers) or [diagnose.most_recent_failure(client)]
    results = []
    first_error: DoctorError | None = None
    services: list[Any] = []  # Swarm services named instead of containers
    for ref in refs:
        try:
            try:
                d, raw = diagnose.diagnose(client, ref, options, redact=not no_redact,
                                           deep=deep_options, progress=_progress())
            except NotFound:
                service = client.swarm_service(ref) if containers else None
                if service is None:
                    raise
                services.append(_service_report(client, service, options, no_redact,
                                                deep_options))
                continue
            results.append(d)
            if bundle_path:
                _write_bundle(d, raw, bundle_path, bundle_max_mb, not no_redact)
        except DoctorError as e:
            if len(refs) == 1:
                raise
            _say_error(e, settings.debug)
            first_error = first_error or e
    if no_redact:
        click.echo("doctor: warning: secrets are not redacted in this report", err=True)
    use_color = _use_color(color, output)
    if services:
        _emit(_services_body(services, results, fmt, use_color), output)
        _exit_for(fail_on, [*[f for d in results for f in d.findings],
                            *[f for r in services for f in r.findings]], first_error)
        return
    if fmt == "json" and len(refs) > 1:
        from dockerdoctor.report import json as json_report

        body = json_report.render_many(results)
    else:
        body = _SEPARATOR[fmt].join(_render(d, fmt, use_color) for d in results)
    _emit(body, output)
    _exit_for(fail_on, [f for d in results for f in d.findings], first_error)


@cli.command()
@click.option("--older-than", default="10m", show_default=True, metavar="DURATION",
              help="Only artifacts at least this old (a run in progress owns newer ones).")
@click.option("--all", "everything", is_flag=True, help="Whatever their age.")
@click.pass_obj
def gc(settings: Settings, older_than: str, everything: bool) -> None:
    """Remove debug images and containers a killed `doctor inspect --deep` left behind.

    Only what dockerdoctor created and labelled (dockerdoctor.artifact) is touched.

    \b
    Example:
      doctor gc --all
    """
    from datetime import timedelta

    from dockerdoctor.engine import ArtifactEngine
    from dockerdoctor.forensics.artifacts import gc as collect_garbage
    from dockerdoctor.times import parse_duration

    age = timedelta(0) if everything else parse_duration(older_than)
    if age is None:
        raise UsageError(f"--older-than: {older_than!r} is not a duration like 10m or 2h")
    done = collect_garbage(ArtifactEngine(settings.client()), age)
    for line in done:
        click.echo(line)
    if not done:
        click.echo("nothing to remove")


@cli.command()
@click.argument("container", metavar="ID|NAME")
@click.option("--network", default="none", show_default=True,
              help="Network for the debug copy (none keeps it off every network).")
@click.option("--toolbox", metavar="IMAGE",
              help="For shell-less images: copy a static busybox from IMAGE into the copy.")
@click.option("--user", "-u", help="User to run the shell as (default: the container's).")
@click.option("--keep-debug-image", is_flag=True, help="Keep the committed debug image.")
@click.pass_obj
def shell(settings: Settings, container: str, network: str, toolbox: str | None,
          user: str | None, keep_debug_image: bool) -> None:
    """Open an interactive shell in a debug copy of a (stopped or running) container.

    The container is committed (never paused) to a temporary image and a shell runs in a
    new container from it: no network unless --network, all capabilities dropped. The
    copy and the image are removed when the shell exits. The original is not touched.

    \b
    Examples:
      doctor shell web
      doctor shell api --toolbox dockerdoctor/busybox:local   # FROM scratch images
    """
    from dockerdoctor.forensics.shell import open_shell

    code = open_shell(settings.client(), container, network, toolbox, user, keep_debug_image)
    sys.exit(code)


@cli.command()
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="The engine's own list filters, as `docker ps --filter` (label=..., "
                   "name=..., ancestor=..., health=...); repeatable.")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(("created", "restarting", "running", "removing", "paused",
                                 "exited", "dead")),
              help="Only containers in this state (repeatable).")
@click.option("--since", metavar="TIME",
              help="Only containers created, started or finished since TIME (10m, 2h, "
                   "2026-01-31T14:00:00Z).")
@click.option("--project", metavar="NAME", help="Only the containers of this Compose project.")
@click.option("--host", "hosts", multiple=True, metavar="URL",
              help="Triage this engine (repeatable: one table with a HOST column; an engine "
                   "that does not answer is a row, not an error).")
@click.option("--context", "contexts", multiple=True, metavar="NAME",
              help="A Docker context to triage (repeatable; like --host).")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "markdown", "json")),
              default="table", show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Containers read side by side, per engine.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="none", show_default=True,
              help="Exit 5 when a verdict of this severity or worse is found.")
@click.option("--swarm", is_flag=True,
              help="List the Swarm services with failing tasks instead (on a manager).")
@click.pass_obj
def ps(settings: Settings, filters: tuple[str, ...], statuses: tuple[str, ...],
       since: str | None, project: str | None, hosts: tuple[str, ...],
       contexts: tuple[str, ...], fmt: str, jobs: int, fail_on: str, swarm: bool) -> None:
    """One verdict per container, running and stopped, most severe first.

    Reads only what a verdict needs (never deep forensics): a running container that is
    not unhealthy is fine as listed; every other one is checked like `doctor inspect`.

    \b
    Examples:
      doctor ps
      doctor ps --status exited --since 1h
      doctor ps --project shop -f markdown
      doctor ps --host unix:///var/run/docker.sock --host ssh://ops@db1
    """
    from dockerdoctor import triage
    from dockerdoctor.engine import EngineClient
    from dockerdoctor.report import ps as ps_report

    flt: dict[str, list[str]] = {}
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--filter {item!r}: expected KEY=VALUE, like label=app=web")
        flt.setdefault(key, []).append(value)
    if statuses:
        flt.setdefault("status", []).extend(statuses)
    if project:
        flt.setdefault("label", []).append(f"{triage.PROJECT_LABEL}={project}")
    query = triage.Query(filters=flt, since=_parse_time(since, "since"), jobs=jobs)
    targets: list[str | None] = [*hosts, *[f"context:{c}" for c in contexts]] or [settings.host]

    def connect(host: str | None) -> EngineClient:
        if host and host.startswith("context:"):
            from dockerdoctor.engine import context_host

            return EngineClient(context_host(host[len("context:"):]),
                                timeout=settings.timeout)
        return EngineClient(host, timeout=settings.timeout)

    if swarm:
        from dockerdoctor import swarm as swarm_mod
        from dockerdoctor.report import swarm as swarm_report

        if len(targets) > 1:
            raise UsageError("--swarm takes one engine (a manager of the swarm)")
        reports = swarm_mod.failing_services(connect(targets[0]))
        _emit(swarm_report.render_services(reports, fmt), None)
        _exit_for(fail_on, [f for r in reports for f in r.findings], None)
        return
    rows = triage.scan_hosts(targets, connect, query)
    if fmt == "json":
        body = ps_report.render_json(rows)
    else:
        body = ps_report.render_table(rows, markdown=fmt == "markdown")
    _emit(body, None)
    _exit_for(fail_on, [r.verdict for r in rows if r.verdict], None)


@cli.command()
@click.argument("image_ref", metavar="IMAGE")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to FILE instead of stdout.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="none", show_default=True,
              help="Exit 5 when a finding of this severity or worse is found (for CI).")
@click.option("--no-files", is_flag=True,
              help="Config and history only: do not read the layers' files (fast, but no "
                   "secret files, caches, build tools or shell check).")
@click.option("--no-redact", is_flag=True, help="Show secrets as they are.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              show_default=True, help="Colour in text output.")
@click.pass_obj
def image(settings: Settings, image_ref: str, fmt: str, output: str | None, fail_on: str,
          no_files: bool, no_redact: bool, color: str) -> None:
    """Audit an image against Dockerfile best practice: secrets, root, caches, layers.

    Reads the image's config and history and, unless --no-files, streams its layers
    through the engine's export (`docker save`) without unpacking anything. Every
    finding names the layer and instruction that caused it.

    \b
    Examples:
      doctor image myorg/api:1.4
      doctor image myorg/api:1.4 --fail-on error --format json -o audit.json
    """
    from dockerdoctor.audit.run import audit
    from dockerdoctor.report import image as image_report

    a = audit(settings.client(), image_ref, files=not no_files, redact=not no_redact,
              progress=_progress())
    if no_redact:
        click.echo("doctor: warning: secrets are not redacted in this report", err=True)
    if fmt == "json":
        body = image_report.render_json(a)
    elif fmt == "markdown":
        body = image_report.render_markdown(a)
    else:
        body = image_report.render_text(a, color=_use_color(color, output))
    _emit(body, output)
    _exit_for(fail_on, list(a.findings), None)


# -- scenarios: scripted failures, reproduced on the engine ----------------------------


def _bases(base: tuple[str, ...]) -> dict[str, str]:
    from dockerdoctor.scenario.runner import resolve_bases

    overrides = {}
    for item in base:
        name, sep, image = item.partition("=")
        if not sep or not name or not image:
            raise UsageError(f"--base {item!r}: expected NAME=IMAGE, like "
                             "PYTHON_IMAGE=python:3.12-slim")
        overrides[name] = image
    return resolve_bases(overrides)


_BASE_OPTION = click.option(
    "--base", multiple=True, metavar="NAME=IMAGE",
    help="Use IMAGE for the base image argument NAME (repeatable; also "
         "DOCTOR_SCENARIO_BASES). For machines that cannot pull the public bases.")


@cli.group()
def scenario() -> None:
    """Reproduce scripted container failures, check the diagnosis, export your own.

    \b
    Examples:
      doctor scenario list
      doctor scenario run python-missing-env
      doctor scenario verify --all
      doctor scenario export web -o ./web-crash
    """


@scenario.command("list")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "markdown", "json")),
              default="table", show_default=True)
def scenario_list(fmt: str) -> None:
    """List the scenarios: name, what it shows, the findings it must produce."""
    import json

    from dockerdoctor.scenario import library

    found = library.load_all()
    if fmt == "json":
        click.echo(json.dumps([{"name": s.name, "description": s.description,
                                "lesson": s.lesson, "findings": list(s.expect.findings),
                                "verdict": s.expect.verdict,
                                "max_severity": s.expect.max_severity} for s in found],
                              indent=2))
        return
    from tabulate import tabulate

    rows = [[s.name, s.description, ", ".join(s.expect.findings) or
             f"nothing worse than {s.expect.max_severity}"] for s in found]
    click.echo(tabulate(rows, headers=["name", "what it shows", "expected findings"],
                        tablefmt="github" if fmt == "markdown" else "simple",
                        maxcolwidths=[None, 70, 40] if fmt == "table" else None))


@scenario.command("run")
@click.argument("name", required=False)
@click.option("--path", "path", metavar="DIR", help="Run the scenario in DIR instead of a "
              "named one from the library.")
@click.option("--keep", is_flag=True, help="Leave the containers and image for a look; "
              "prints how to remove them.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Format of the report.")
@_BASE_OPTION
@click.pass_obj
def scenario_run(settings: Settings, name: str | None, path: str | None, keep: bool,
                 fmt: str, base: tuple[str, ...]) -> None:
    """Reproduce one scenario, print the diagnosis, check its expectations.

    Exit 0 when every expectation holds, 6 when one does not.
    """
    from dockerdoctor.scenario import library, runner

    if bool(name) == bool(path):
        raise UsageError("give a scenario NAME or --path DIR (one of them)")
    s = library.load_path(path) if path else library.find(name or "")
    bases = _bases(base)
    def say(msg: str) -> None:
        click.echo(f"doctor: {msg}...", err=True)

    click.echo(f"doctor: {s.name}: {s.description}", err=True)
    out = runner.run(settings.client(), s, bases, keep=keep, say=say)
    if out.diagnosis is not None:
        _emit(_render(out.diagnosis, fmt, _use_color("auto", None)), None)
    for line in out.kept:
        click.echo(f"doctor: kept; remove with: {line}", err=True)
    if out.skipped:
        click.echo(f"doctor: scenario {s.name}: skipped: {out.skipped}", err=True)
        return
    if not out.passed:
        for failure in out.failures:
            click.echo(f"doctor: scenario {s.name}: FAILED: {failure}", err=True)
        sys.exit(int(ExitCode.EXPECTATIONS))
    click.echo(f"doctor: scenario {s.name}: passed ({out.seconds:.1f}s). Lesson: "
               f"{s.lesson}", err=True)


@scenario.command("verify")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all", "everything", is_flag=True, help="Every scenario in the library.")
@click.option("--path", "paths", multiple=True, metavar="DIR",
              help="Also a scenario outside the library (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Scenarios run side by side.")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "markdown", "json")),
              default="table", show_default=True)
@_BASE_OPTION
@click.pass_obj
def scenario_verify(settings: Settings, names: tuple[str, ...], everything: bool,
                    paths: tuple[str, ...], jobs: int, fmt: str, base: tuple[str, ...]
                    ) -> None:
    """Run many scenarios and print one table of pass/fail with the reason.

    Exit 0 when all pass (or are skipped), 6 when any fails.
    """
    import json

    from dockerdoctor.scenario import library
    from dockerdoctor.scenario.verify import verify

    if everything and names:
        raise UsageError("give NAMEs or --all, not both")
    if not (everything or names or paths):
        raise UsageError("give scenario NAMEs, --all or --path DIR")
    chosen = library.load_all() if everything else [library.find(n) for n in names]
    chosen += [library.load_path(p) for p in paths]
    bases = _bases(base)
    settings.client()  # one clear error now if no engine answers
    progress = _progress()

    def done(o: Any) -> None:
        if progress:
            result = "passed" if o.passed else "skipped" if o.skipped else "FAILED"
            progress(f"{o.scenario.name}: {result}")

    outcomes = verify(settings.client, chosen, bases, jobs, done)
    if fmt == "json":
        click.echo(json.dumps([{"name": o.scenario.name, "passed": o.passed,
                                "skipped": o.skipped, "failures": o.failures,
                                "seconds": round(o.seconds, 1),
                                "findings": [f.id for f in o.diagnosis.findings]
                                if o.diagnosis else []} for o in outcomes], indent=2))
    else:
        from tabulate import tabulate

        rows = [[o.scenario.name, "skip" if o.skipped else "pass" if o.passed else "FAIL",
                 f"{o.seconds:.1f}", o.reason] for o in outcomes]
        click.echo(tabulate(rows, headers=["scenario", "result", "seconds", "reason"],
                            tablefmt="github" if fmt == "markdown" else "simple",
                            maxcolwidths=[None, None, None, 80] if fmt == "table" else None))
        failed = sum(1 for o in outcomes if not o.passed and not o.skipped)
        skipped = sum(1 for o in outcomes if o.skipped)
        click.echo(f"\n{len(outcomes) - failed - skipped} passed, {failed} failed, "
                   f"{skipped} skipped")
    if any(not o.passed and not o.skipped for o in outcomes):
        sys.exit(int(ExitCode.EXPECTATIONS))


@scenario.command("export")
@click.argument("container", metavar="ID|NAME")
@click.option("--output", "-o", "output", metavar="DIR",
              help="The new scenario folder (default: ./<container name>-scenario).")
@click.pass_obj
def scenario_export(settings: Settings, container: str, output: str | None) -> None:
    """Write a scenario folder that reproduces an existing (crashed) container.

    Image, command, entrypoint, environment (secrets redacted), user, limits, restart
    policy, health check; mounts become notes. `doctor scenario run --path DIR` then
    reproduces it, and expects the finding ids the container has now.
    """
    from dockerdoctor.scenario.export import export

    folder, notes = export(settings.client(), container, output)
    click.echo(f"doctor: wrote {folder}/scenario.toml", err=True)
    for note in notes:
        click.echo(f"doctor: note: {note}", err=True)
    click.echo(f"doctor: reproduce it with: doctor scenario run --path {folder}", err=True)


# between the reports of several containers (or services) in one output
_SEPARATOR = {"text": "\n" + "─" * 60 + "\n\n", "markdown": "\n---\n\n", "json": ""}


def _render(d: Any, fmt: str, color: bool) -> str:
    """One container's report; only the renderer asked for is imported (tabulate is slow
    to import)."""
    if fmt == "json":
        from dockerdoctor.report import json as json_report

        return json_report.render(d)
    if fmt == "markdown":
        from dockerdoctor.report import markdown

        return markdown.render(d)
    from dockerdoctor.report import text

    return text.render(d, color=color)


def _service_report(client: Any, service: dict[str, Any], options: Any, no_redact: bool,
                    deep: Any) -> Any:
    from dockerdoctor import diagnose, swarm

    return swarm.report(client, service, lambda cid: diagnose.diagnose(
        client, cid, options, redact=not no_redact, deep=deep)[0])


def _services_body(services: list[Any], results: list[Any], fmt: str, color: bool) -> str:
    """Swarm service reports (and any container reports asked for with them)."""
    import json

    from dockerdoctor.report import json as json_report
    from dockerdoctor.report import swarm as swarm_report

    if fmt == "json":
        items = [swarm_report.to_dict(r) for r in services] + [json_report.to_dict(d)
                                                               for d in results]
        return json.dumps(items[0] if len(items) == 1 else items, indent=2,
                          ensure_ascii=False) + "\n"
    parts = [swarm_report.render_markdown(r) if fmt == "markdown"
             else swarm_report.render_text(r, color) for r in services]
    parts += [_render(d, fmt, color) for d in results]
    return _SEPARATOR[fmt].join(parts)


def _exit_for(fail_on: str, findings: list[Any], first_error: DoctorError | None) -> None:
    """The exit code of a report: the first error's, else 5 when a finding reaches
    --fail-on (every command that reports findings ends here)."""
    from dockerdoctor.model import Severity

    if first_error is not None:
        sys.exit(int(first_error.exit_code))
    if fail_on != "none" and any(f.severity.rank >= Severity(fail_on).rank
                                 for f in findings):
        sys.exit(int(ExitCode.FINDINGS))


def _write_bundle(d: Any, raw: dict[str, Any], path: str, max_mb: int, redact: bool) -> None:
    from dockerdoctor import bundle
    from dockerdoctor.report import json as json_report
    from dockerdoctor.report import markdown

    json_text = json_report.render(d)
    names = [n for n, _ in bundle.plan(d, raw["inspect"], "", json_text, redact)]
    md = markdown.render(d, bundle=[*names, "manifest.json"])
    entries, left_out = bundle.write(bundle.plan(d, raw["inspect"], md, json_text, redact),
                                     path, max_mb * 1024 * 1024)
    total = sum(e.size for e in entries)
    click.echo(f"doctor: bundle written to {path} ({len(entries) + 1} files, "
               f"{total / 1024:.1f} KiB" + (f", {len(left_out)} left out for the cap"
                                             if left_out else "") + ")", err=True)


def _progress() -> Any:
    """Progress lines for long steps, on stderr and only when it is a terminal."""
    if not sys.stderr.isatty():
        return None
    return lambda msg: click.echo(f"doctor: {msg}...", err=True)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "markdown", "json")),
              default="text", show_default=True)
@click.option("--of", "of", type=click.Choice(("inspect", "image", "swarm")),
              default="inspect", show_default=True,
              help="The findings of `doctor inspect` (containers), of `doctor image`, or "
                   "of Swarm services.")
def catalogue(fmt: str, of: str) -> None:
    """List every finding id dockerdoctor can report, with its usual severity.

    \b
    Example:
      doctor catalogue --format markdown
      doctor catalogue --of image
    """
    import json

    from tabulate import tabulate

    if of == "image":
        from dockerdoctor.audit.rules import IMAGE_CATALOGUE as CATALOGUE
    elif of == "swarm":
        from dockerdoctor.swarm import SWARM_CATALOGUE as CATALOGUE
    else:
        from dockerdoctor.checks import CATALOGUE

    if fmt == "json":
        click.echo(json.dumps([{"id": k, "severity": s.value, "meaning": m}
                               for k, (s, m) in CATALOGUE.items()], indent=2))
        return
    rows = [[f"`{k}`" if fmt == "markdown" else k, s.value, m] for k, (s, m) in CATALOGUE.items()]
    click.echo(tabulate(rows, headers=["id", "severity", "what it means"],
                        tablefmt="github" if fmt == "markdown" else "simple"))


def _emit(body: str, output: str | None) -> None:
    if output is None:
        click.echo(body, nl=False, color=True)  # the renderer already chose colour or not
        return
    tmp = f"{output}.doctor-tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, output)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError(f"cannot write {output}: {e.strerror or e}") from e


def _say_error(e: DoctorError, debug: bool) -> None:
    if debug:
        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
    click.echo(f"doctor: error: {e.message}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line on stderr and a documented exit code for every failure."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="doctor", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("doctor: interrupted", err=True)
        sys.exit(130)
    except click.UsageError as e:
        hint = ""
        if e.ctx is not None:
            hint = f" (see '{e.ctx.command_path} --help')"
        click.echo(f"doctor: error: {e.format_message()}{hint}", err=True)
        sys.exit(int(ExitCode.USAGE))
    except click.ClickException as e:
        click.echo(f"doctor: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except DoctorError as e:
        _say_error(e, debug)
        sys.exit(int(e.exit_code))
    except KeyboardInterrupt:
        click.echo("doctor: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (doctor inspect | head): not an error worth a traceback
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        sys.exit(0)
    except Exception as e:  # noqa: BLE001 - a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        click.echo(f"doctor: internal error: {type(e).__name__}: {e} "
                   "(run with --debug for the traceback)", err=True)
        sys.exit(int(ExitCode.ERROR))
    sys.exit(0)
