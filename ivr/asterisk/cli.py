"""`hotline asterisk provision|start|stop|status|cli|accounts`."""

from __future__ import annotations

import typer

from ivr.asterisk import runner
from ivr.asterisk.instance import AGENT_EXTENSIONS, Instance, InstanceError
from ivr.asterisk.provision import ProvisionError, provision
from ivr.config import get_ivr_settings

app = typer.Typer(help="Provision and run the hotline's Asterisk.", no_args_is_help=True)


def _instance() -> Instance:
    return Instance.from_settings(get_ivr_settings())


def _fail(err: Exception) -> None:
    typer.secho(str(err), fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command("provision")
def provision_cmd() -> None:
    """Find a system Asterisk >= 20 or build the cached Debian root (idempotent)."""
    settings = get_ivr_settings()
    try:
        provision(settings.asterisk_root, use_system=settings.asterisk_system, progress=typer.echo)
    except ProvisionError as err:
        _fail(err)


@app.command()
def start() -> None:
    """Start the instance (provisioning first if needed) and wait until it is fully booted."""
    settings = get_ivr_settings()
    instance = _instance()
    try:
        install = provision(settings.asterisk_root, use_system=settings.asterisk_system, progress=typer.echo)
        pid = runner.start(install, instance, timeout=settings.asterisk_start_timeout)
    except (ProvisionError, InstanceError, runner.AsteriskError) as err:
        _fail(err)
    typer.echo(f"Asterisk {instance.name} runs on {instance.address} (namespace pid {pid}); "
               f"state in {instance.state_dir}")


@app.command()
def stop() -> None:
    """Stop the instance cleanly; nothing of it is left running."""
    instance = _instance()
    typer.echo(f"stopped {instance.name}" if runner.stop(instance) else f"{instance.name} was not running")


@app.command()
def status() -> None:
    """Print whether the instance runs, its version, uptime and channels."""
    result = runner.status(_instance())
    if not result.running:
        typer.echo("not running")
        raise typer.Exit(3)
    typer.echo(f"running (namespace pid {result.pid})\n{result.version}\n{result.uptime}\n{result.channels}")


@app.command("cli")
def cli_cmd(command: str = typer.Argument(..., help='An Asterisk CLI command, e.g. "pjsip show endpoints".'),
            ) -> None:
    """Run an Asterisk CLI command on the running instance."""
    try:
        typer.echo(runner.cli(_instance(), command), nl=False)
    except runner.AsteriskError as err:
        _fail(err)


@app.command()
def accounts(brief: bool = typer.Option(False, "--brief", help="Only the resident and agent 1001."),
             ) -> None:
    """Print the number to call and the SIP accounts (server, user, password) of the instance."""
    settings = get_ivr_settings()
    instance = _instance()
    try:
        creds = instance.secrets()
    except InstanceError as err:
        _fail(err)
    server = f"{instance.address}:{instance.sip_port} (UDP)"
    typer.echo(f"Hotline number: {instance.hotline_number}   SIP server: {server}")
    typer.echo(f"Resident softphone: user resident, password {creds.sip_passwords['resident']}")
    for ext in AGENT_EXTENSIONS[:1] if brief else AGENT_EXTENSIONS:
        typer.echo(f"Agent phone {ext}: user {ext}, password {creds.sip_passwords[ext]}")
    if brief:
        typer.echo("(agents 1002-1020: `hotline asterisk accounts`)")
        return
    typer.echo(f"AMI: {settings.ami_address}:{instance.ami_port} user {instance.ami_username}")
