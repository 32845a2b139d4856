"""Settings of the telephony side (Asterisk, AMI bridge, IVR, speech), read from HOTLINE_* variables."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class IvrSettings(BaseSettings):
    """Telephony settings; the defaults run one local Asterisk on 127.0.0.1 beside `hotline serve`."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    var_dir: Path = Path("./var")  # this install's state (shared with the case service's HOTLINE_VAR_DIR)

    # --- the Asterisk instance (ivr/asterisk) ---
    asterisk_root: Path = Path("~/.cache/hotline/asterisk-root").expanduser()  # Asterisk 22 root
    asterisk_system: bool = True  # use a system `asterisk` >= 20 when one is installed
    asterisk_instance: str = "default"  # instance name: var/asterisk/<name>
    asterisk_address: str = "127.0.0.1"  # loopback address every port of the instance binds to
    asterisk_state_dir: Path | None = None  # default: <var_dir>/asterisk/<instance>
    asterisk_config_dir: Path = PROJECT_DIR / "asterisk-config"  # committed .conf files
    asterisk_start_timeout: float = 60.0  # seconds to wait for FullyBooted before `asterisk start` fails
    sip_port: int = 5060  # UDP port of the PJSIP transport on the instance's address
    http_port: int = 8088  # Asterisk's HTTP server: plain WebSocket (ws://) for SIP on the instance's address
    wss_port: int = 8089  # TLS WebSocket (wss://) the console's browser phones register over
    webrtc_cert_file: Path | None = None  # a real certificate for WSS; default: one generated per instance
    webrtc_key_file: Path | None = None  # the key of webrtc_cert_file
    webrtc_websocket_url: str = ""  # URL browsers reach the WSS at (a proxy's); default wss://<address>:<wss_port>/ws
    hotline_number: str = "12345"  # the number residents dial (the hotline extension in the dial plan)
    sip_trunk: str = ""  # PJSIP endpoint for outbound callbacks; "" rings the demo resident softphone
    queue_timeout: int = 300  # seconds a caller waits in a queue before being offered a message
    prompts_dir: Path | None = None  # default: <var_dir>/prompts

    # --- AMI bridge (ivr/ami) ---
    ami_enabled: bool = True  # run the AMI bridge in `hotline serve`
    ami_host: str | None = None  # default: asterisk_address
    ami_port: int = 5038  # AMI TCP port
    ami_username: str = "hotline"  # AMI user (its secret is generated per instance)
    ami_secret: SecretStr | None = None  # default: the instance's generated secret (secrets.json)
    ami_server: str = "default"  # name of this Asterisk server in events and commands
    ami_action_timeout: float = 5.0  # seconds before an AMI action without answer fails with AmiTimeout
    ami_ping_interval: float = 5.0  # seconds between liveness pings on the AMI connection
    ami_ping_timeout: float = 3.0  # an unanswered ping after this many seconds forces a reconnect
    ami_reconnect_min: float = 0.5  # first reconnect delay in seconds (doubles up to the maximum)
    ami_reconnect_max: float = 15.0  # longest reconnect delay in seconds
    ami_queue_stats_interval: float = 10.0  # seconds between QueueSummary polls for the wallboard
    ami_command_ttl: float = 60.0  # commands older than this when read are answered "expired", not run

    # --- FastAGI IVR engine and AudioSocket speech (their servers listen here; the dial plan points here) ---
    agi_host: str = "127.0.0.1"  # address the FastAGI IVR server listens on
    agi_port: int = 4573  # FastAGI port
    audiosocket_host: str = "127.0.0.1"  # address the AudioSocket speech server listens on
    audiosocket_port: int = 9092  # AudioSocket port

    # --- speech (ivr/speech; docs/speech.md) ---
    speech_enabled: bool = True  # run the AudioSocket server and message transcription in `hotline serve`
    vosk_model: Path | None = None  # HOTLINE_VOSK_MODEL: a vosk model directory; unset = DTMF only
    speech_language: str | None = "zh"  # language the model serves (listen(language=...) must match)
    audiosocket_advertise: str | None = None  # host:port Asterisk dials; default audiosocket_host:port
    speech_max_streams: int | None = None  # concurrent recognisers; default 2 per core
    speech_min_confidence: float = 0.5  # below this a recognised utterance falls back to DTMF
    speech_max_seconds: float = 15.0  # longest utterance
    speech_no_input_seconds: float = 5.0  # silence before any word ends the listen
    speech_trailing_silence: float = 1.2  # seconds without audio after speech that end the utterance
    speech_barge_in: bool = True  # play the prompt inside the listen: speech stops it (off: echoing lines)
    speech_audio_dir: Path | None = None  # keep each utterance here as <linkedid>_<stream>.wav (review)
    speech_engines: str | None = None  # "zh=whisper,en=whisper,ko=vosk"; unset: vosk for its language
    whisper_model: Path = Path("~/.cache/hotline/models/whisper-base").expanduser()  # models install
    whisper_cpu_threads: int = 0  # CTranslate2 threads of one Whisper decode; 0 = one per core
    whisper_max_decodes: int = 1  # Whisper decodes at once (more wait their turn; streams stay bounded)
    qa_transcribe_workers: int = 1  # threads transcribing ended calls for quality review; 0 = off
    whisper_min_confidence: float = 0.3  # exp(mean token log-probability) below which Whisper is doubted

    # --- IVR engine (ivr/agi), prompts and call recorder (ivr/recorder.py) ---
    ivr_enabled: bool = True  # run the FastAGI server in `hotline serve`
    recorder_enabled: bool = True  # keep call records from Streams.CALLS in `hotline serve`
    menus_dir: Path = PROJECT_DIR / "ivr" / "agi" / "menus"  # every *.yaml is a menu (AGI script name = stem)
    prompt_overrides_dir: Path = Path("./prompts/overrides")  # <lang>/<id>.wav recorded files win
    prompts_autobuild: bool = True  # `hotline serve` synthesises missing or changed prompts at start
    ivr_now: datetime | None = None  # pin the IVR's clock (opening hours), e.g. for after-hours tests
    ivr_queue_in_dialplan: bool = True  # hand queued callers back to the dial plan (else EXEC Queue)

    @property
    def state_dir(self) -> Path:
        """Directory of the Asterisk instance's own state (config copy, run, log, spool, recordings)."""
        return self.asterisk_state_dir or self.var_dir / "asterisk" / self.asterisk_instance

    @property
    def prompts_path(self) -> Path:
        """Directory of the IVR's sound files, mounted as sounds/hotline inside Asterisk."""
        return self.prompts_dir or self.var_dir / "prompts"

    @property
    def ami_address(self) -> str:
        """Host the AMI bridge connects to."""
        return self.ami_host or self.asterisk_address


@lru_cache
def get_ivr_settings() -> IvrSettings:
    """Return the process-wide telephony settings (tests build their own IvrSettings instead)."""
    return IvrSettings()
