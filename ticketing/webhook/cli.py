"""`hotline webhooks add|list|disable|log`: receivers of signed case events."""

from __future__ import annotations

import typer

from ticketing.config import Settings

webhooks_app = typer.Typer(
    help="Webhooks: signed POSTs of case events to other systems.", no_args_is_help=True
)


def _session():
    from ticketing.database.core import command_session

    return command_session(Settings().sqlalchemy_url)


@webhooks_app.command("add")
def add(
    name: str,
    url: str,
    event: list[str] = typer.Option(
        None, "--event", help="case.created or case.changed; repeat; default all."
    ),
) -> None:
    """Register receiver NAME at URL and print its signing secret (shown only this once)."""
    from ticketing.webhook import service

    with _session() as session:
        try:
            subscription = service.register(session, name, url, event or [])
        except service.WebhookError as err:
            raise typer.BadParameter(str(err)) from err
        secret = subscription.secret
    typer.echo(f"receiver {name} added; signing secret:")
    typer.echo(secret)


@webhooks_app.command("list")
def list_receivers() -> None:
    """List receivers: name, URL, events, state."""
    from ticketing.webhook import service

    with _session() as session:
        for s in service.get_all(session):
            state = "disabled" if s.disabled_at else "active"
            typer.echo(f"{s.name:24} {state:9} {','.join(s.event_types) or 'all case events':30} {s.url}")


@webhooks_app.command("disable")
def disable(name: str) -> None:
    """Stop sending to receiver NAME."""
    from ticketing.webhook import service

    with _session() as session:
        subscription = service.get_by_name(session, name)
        if subscription is None:
            raise typer.BadParameter(f"no receiver named {name!r}")
        service.disable(session, subscription)
    typer.echo(f"receiver {name} disabled")


@webhooks_app.command("log")
def log(name: str, limit: int = typer.Option(20, help="How many deliveries, newest first.")) -> None:
    """Show receiver NAME's newest deliveries."""
    from ticketing.webhook import service

    with _session() as session:
        subscription = service.get_by_name(session, name)
        if subscription is None:
            raise typer.BadParameter(f"no receiver named {name!r}")
        for d in service.deliveries(session, subscription.id, limit):
            answer = d.last_status_code or (d.last_error[:40] if d.last_error else "-")
            typer.echo(
                f"{d.created_at:%Y-%m-%d %H:%M:%S} {d.event_type:13} {d.key:18} {d.status:9} "
                f"tries {d.attempts:2}  {answer}"
            )
