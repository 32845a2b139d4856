"""`hotline ivr check FILE` and `hotline prompts build`."""

from __future__ import annotations

from pathlib import Path

import typer

from ivr.agi.check import check_menu, queues_from_conf
from ivr.agi.menu import MenuError, load_menu
from ivr.config import get_ivr_settings

ivr_app = typer.Typer(help="Check the IVR menus.", no_args_is_help=True)
prompts_app = typer.Typer(help="Build the IVR's sound files.", no_args_is_help=True)


@ivr_app.command("check")
def check(files: list[Path] = typer.Argument(None, help="Menu files (default: every menu in menus_dir)."),
          queues: Path = typer.Option(None, help="queues.conf to check queue names against "
                                                   "(default: asterisk-config/queues.conf).")) -> None:
    """Print every problem of the menu files with its line and field; exit 1 when there is one."""
    settings = get_ivr_settings()
    paths = files or sorted(settings.menus_dir.glob("*.yaml"))
    known = _known_queues(queues or settings.asterisk_config_dir / "queues.conf")
    failed = False
    for path in paths:
        try:
            problems = check_menu(load_menu(path), known)
        except MenuError as err:
            typer.echo(f"{path}: {err}", err=True)
            failed = True
            continue
        for problem in problems:
            typer.echo(f"{path}:{problem}", err=True)
        failed = failed or bool(problems)
        if not problems:
            typer.echo(f"{path}: ok")
    raise typer.Exit(1 if failed else 0)


def _known_queues(path: Path) -> set[str] | None:
    try:
        return queues_from_conf(path.read_text(encoding="utf-8"))
    except OSError:
        typer.echo(f"warning: {path} not readable; queue names not checked", err=True)
        return None


@prompts_app.command("build")
def build(out: Path = typer.Option(None, help="Output directory (default: <var_dir>/prompts)."),
          overrides: Path = typer.Option(None, help="Recorded files that win (default: prompts/overrides)."),
          ) -> None:
    """Synthesise every prompt of the menus (espeak-ng + sox, 8 kHz mono); only what changed."""
    from ivr.agi import prompts
    from ticketing.config import get_settings
    from ticketing.dataset import load_dataset

    settings = get_ivr_settings()
    out = out or settings.prompts_path
    try:
        menus = [load_menu(path) for path in sorted(settings.menus_dir.glob("*.yaml"))]
        jobs = prompts.plan(menus, out, overrides or settings.prompt_overrides_dir,
                            load_dataset(get_settings().dataset_dir))
        typer.echo(f"{len(jobs)} prompts for menus {', '.join(m.name for m in menus)} -> {out}")
        built, unchanged = prompts.build(jobs, out, progress=lambda done, total, job: typer.echo(
            f"  [{done}/{total}] {job.target.relative_to(out)}"))
    except (MenuError, prompts.PromptError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"built {built}, unchanged {unchanged}")


def register(app: typer.Typer) -> None:
    """Add `ivr`, `prompts` and `call` to the root command."""
    from ivr.testcall import call

    app.add_typer(ivr_app, name="ivr", help="Check the IVR menus.")
    app.add_typer(prompts_app, name="prompts", help="Build the IVR's sound files.")
    app.command("call")(call)
