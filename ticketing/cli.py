"""`hotline db|seed|users|tokens` commands of the case service."""

from __future__ import annotations

import typer

from ticketing.config import Settings
from ticketing.open311.cli import open311_app
from ticketing.webhook.cli import webhooks_app

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
users_app = typer.Typer(
    help="Users of the hotline (agents, supervisors, bureaus, admins).", no_args_is_help=True
)
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the schema migrations up to REVISION (default: the newest)."""
    from ticketing.database.migrate import current, upgrade

    url = Settings().sqlalchemy_url
    upgrade(url, revision)
    typer.echo(f"database at revision {current(url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from ticketing.database.migrate import current

    typer.echo(current(Settings().sqlalchemy_url) or "empty (never migrated)")


def seed(
    dataset: str = typer.Argument(None, help="Data set name (default: HOTLINE_DATASET, 'futian')."),
) -> None:
    """Load the district's bureaus, streets, categories and rules, sample users and a few sample cases."""
    from ticketing.dataset import load_dataset
    from ticketing.seed import SAMPLE_USERS
    from ticketing.seed import seed as run_seed

    settings = Settings(dataset=dataset) if dataset else Settings()
    data = load_dataset(settings.dataset_dir)
    with _session(settings) as session:
        report, added, cases = run_seed(session, data)
    typer.echo(
        f"{data.name}: {report.bureaus} bureaus, {report.streets} streets, {report.communities} "
        f"communities, {report.categories} categories, {report.rules} rules; {cases} sample cases added"
    )
    typer.echo("sample users (username / role / password):")
    for user in SAMPLE_USERS:
        mark = "new" if user.username in added else "exists"
        role = f"{user.role} ({user.bureau})" if user.bureau else user.role
        typer.echo(f"  {user.username:12} {role:26} {user.password:16} [{mark}]")


@users_app.command("add")
def users_add(
    username: str,
    role: str = typer.Option(..., help="agent, supervisor, bureau or admin."),
    bureau: str = typer.Option(None, help="Bureau code (bureau users only)."),
    password: str = typer.Option(None, help="Console password (argon2-hashed)."),
    extension: str = typer.Option(None, help="SIP extension of an agent."),
    display_name: str = typer.Option("", help="Name shown in the console."),
) -> None:
    """Create a user."""
    from ticketing.user import service

    settings = Settings()
    with _session(settings) as session:
        try:
            service.create(
                session,
                username,
                role,
                bureau_code=bureau,
                password=password,
                extension=extension,
                display_name=display_name,
            )
        except service.UserError as err:
            raise typer.BadParameter(str(err)) from err
    typer.echo(f"user {username} ({role}) created")


@users_app.command("list")
def users_list() -> None:
    """List users (inactive and locked ones are marked)."""
    from ticketing.database.types import utcnow
    from ticketing.user import service

    with _session(Settings()) as session:
        for user in service.get_all(session):
            bureau = user.bureau.code if user.bureau else "-"
            marks = ("" if user.active else " inactive") + (
                " locked" if user.locked_until and user.locked_until > utcnow() else "")
            typer.echo(f"{user.username:16} {user.role:10} {bureau:20} {user.extension or '-'}{marks}")


@users_app.command("passwd")
def users_passwd(
    username: str,
    password: str = typer.Option(..., prompt="New password", confirmation_prompt=True, hide_input=True,
                                 help="The new password (asked twice when not given)."),
) -> None:
    """Set USERNAME's console password; their open console sessions close."""
    from ticketing.database.types import utcnow
    from ticketing.user import accounts, service

    with _session(Settings()) as session:
        try:
            accounts.change_password(session, _existing(session, username), password, utcnow())
        except service.UserError as err:
            raise typer.BadParameter(str(err)) from err
    typer.echo(f"password of {username} changed")


@users_app.command("deactivate")
def users_deactivate(username: str) -> None:
    """Deactivate USERNAME: no login, their sessions close and their API tokens stop working."""
    _account_change(username, "deactivated")


@users_app.command("activate")
def users_activate(username: str) -> None:
    """Activate USERNAME again."""
    _account_change(username, "activated")


@users_app.command("unlock")
def users_unlock(username: str) -> None:
    """Lift USERNAME's lockout after too many failed logins."""
    _account_change(username, "unlocked")


def _account_change(username: str, change: str) -> None:
    from ticketing.database.types import utcnow
    from ticketing.user import accounts

    with _session(Settings()) as session:
        user = _existing(session, username)
        if change == "unlocked":
            accounts.unlock(session, user, utcnow())
        else:
            accounts.set_active(session, user, change == "activated", utcnow())
    typer.echo(f"user {username} {change}")


def _existing(session, username: str):
    from ticketing.user import service

    user = service.get_by_username(session, username)
    if user is None:
        raise typer.BadParameter(f"unknown user {username!r}")
    return user


@tokens_app.command("create")
def tokens_create(
    username: str,
    name: str = typer.Option("cli", help="Label of the token."),
    days: float = typer.Option(None, help="Valid for this many days (default HOTLINE_TOKEN_DAYS; 0: never)."),
) -> None:
    """Create an API token for USERNAME and print it (it is shown only this once)."""
    from ticketing.user import service

    settings = Settings()
    with _session(settings) as session:
        user = _existing(session, username)
        token = service.create_token(session, user, name, days=settings.token_days if days is None else days)
    typer.echo(token)


@tokens_app.command("revoke")
def tokens_revoke(prefix: str) -> None:
    """Revoke the tokens starting with PREFIX (as listed in the database)."""
    from ticketing.user import service

    with _session(Settings()) as session:
        count = service.revoke_token(session, prefix)
    typer.echo(f"{count} token(s) revoked")


def _session(settings: Settings):
    from ticketing.database.core import command_session

    return command_session(settings.sqlalchemy_url)


def register(app: typer.Typer) -> None:
    """Add the case-service command groups to the root command."""
    app.add_typer(db_app, name="db")
    app.command("seed")(seed)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(open311_app, name="open311")
    app.add_typer(webhooks_app, name="webhooks")
