"""Settings of the agent console; every value is read from HOTLINE_CONSOLE_* variables or .env."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    """Console settings; the defaults give a working single-machine install."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_CONSOLE_", env_file=".env", extra="ignore")

    prefix: str = "/console"  # URL path the console is mounted under
    session_hours: float = 10.0  # absolute lifetime of a login
    idle_minutes: float = 60.0  # a session unused this long expires
    cookie_name: str = "hotline_console"  # name of the session cookie
    cookie_secure: bool = False  # set true behind HTTPS
    default_language: str = "zh"  # interface language before a user switches (zh or en)
    wrapup_seconds: int = 30  # after-call work before the agent is offered calls again
    service_level_seconds: int = 15  # "answered within" threshold of the wallboard
    deadline_warning_ratio: float = 0.8  # a case is "near" its deadline past this share of its limit
    command_timeout: float = 5.0  # seconds to wait for the AMI bridge to answer a command
    interface_template: str = "PJSIP/{extension}"  # queue member interface of an agent's extension
    queues: list[str] = [f"{group}-{lang}" for lang in ("zh", "en")  # queues an agent may join
                         for group in ("general", "urban", "safety", "livelihood", "consumer")]
    extensions: list[str] = [str(n) for n in range(1001, 1021)]  # extensions agents pick
    pause_reasons: list[str] = ["break", "meal", "training", "callback"]  # offered when pausing
    originate_context: str = "hotline-outbound"  # dial plan context of callbacks to residents
    transfer_queue_context: str = "hotline-queue"  # where a blind transfer to a queue name lands
    transfer_extension_context: str = "hotline-agents"  # where a blind transfer to an extension lands
    check_registration: bool = True  # refuse to log in an agent whose phone Asterisk reports unavailable
    registration_wait: float = 1.5  # seconds to wait for Asterisk's report on the phone after QueueAdd
    wallboard_interval: float = 1.0  # seconds between wallboard pushes
    survey_interval: float = 30.0  # seconds between rounds of 回访 survey calls (0: this process places none)
    survey_channel: str = "Local/{digits}@hotline-outbound"  # what a survey call rings ({digits}: resident)
    repeat_caller_days: int = Field(7, ge=1, le=365)  # window in which repeated calls flag a repeat caller
    repeat_caller_calls: int = Field(3, ge=2, le=100)  # calls from one number within the window that flag it
    browser_interface_template: str = "PJSIP/webrtc-{extension}"  # member interface of a browser phone
    phone_register_expires: int = 300  # seconds a browser phone's registration lasts before it renews
    transfer_directory: Path = Path(__file__).parent / "transfer_directory.yaml"  # outside numbers to consult
    phone_relay: bool = True  # phones reach Asterisk's WSS through the console; false: directly


@lru_cache
def get_console_settings() -> ConsoleSettings:
    """Return the process-wide console settings (tests build their own instead)."""
    return ConsoleSettings()
