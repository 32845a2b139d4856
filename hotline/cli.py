"""The `hotline` command: one sub-command group per package, plus `serve`."""

from __future__ import annotations

import logging

import typer

from agent_console.cli import app as console_app
from ivr.cli import register as register_ivr
from ticketing.cli import register as register_ticketing

app = typer.Typer(help="Citizen service hotline: case service, IVR, speech and agent console.",
                  no_args_is_help=True)
register_ticketing(app)
register_ivr(app)
app.add_typer(console_app, name="console", help="Agent console tools.")
config_app = typer.Typer(no_args_is_help=True)
app.add_typer(config_app, name="config", help="Show the settings in force and the configuration reference.")


@config_app.command("show")
def config_show() -> None:
    """Print every HOTLINE_* setting as this process resolves it (secrets and URL passwords masked)."""
    from hotline.settings_doc import effective_values

    for name, value in effective_values():
        typer.echo(f"{name}={value}")


@config_app.command("doc")
def config_doc() -> None:
    """Print the Markdown configuration reference (docs/configuration.md)."""
    from hotline.settings_doc import reference_markdown

    typer.echo(reference_markdown(), nl=False)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")) -> None:
    """Configure logging for every sub-command (HOTLINE_LOG_FORMAT: text or json)."""
    from ticketing import logs
    from ticketing.config import get_settings

    logs.configure(get_settings().log_format, logging.DEBUG if verbose else logging.INFO)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="HTTP port for the API and console."),
          workers: int = typer.Option(1, help="HTTP worker processes (needs PostgreSQL and Redis when > 1)."),
          ) -> None:
    """Run the hotline: API, console, and (by default) AMI bridge, FastAGI IVR and speech in one process."""
    import uvicorn

    from ivr.asterisk.checks import PortsInUse, ensure_serve_ports_free, serve_ports
    from ivr.config import get_ivr_settings
    from ticketing.config import get_settings
    from ticketing.database import migrate

    try:  # a taken port would otherwise surface as an OSError traceback from the app's lifespan
        ensure_serve_ports_free(serve_ports(get_ivr_settings(), host, port))
    except PortsInUse as err:
        logging.getLogger("hotline.serve").error("%s", err)
        raise typer.Exit(2) from err
    # An old schema would otherwise show every console user "database unavailable" on their first click.
    if (reason := migrate.behind(get_settings().database_url)) is not None:
        logging.getLogger("hotline.serve").error("%s", reason)
        raise typer.Exit(2)
    if workers > 1:
        _share_metrics_between_workers()
    # log_config=None: uvicorn keeps the hotline's log format (create_app sets it in every worker)
    uvicorn.run("hotline.runtime:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", log_config=None)


def _share_metrics_between_workers() -> None:
    """Have every worker write its request metrics where /metrics in any worker reads them all."""
    import os
    import shutil

    from ticketing.config import get_settings

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = get_settings().var_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)  # the last run's counters
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())  # read by prometheus_client in workers
