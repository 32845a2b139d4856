"""Build the IVR's components (FastAGI server, call recorder) for a hotline process from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ivr.agi.app import IvrServer
from ivr.agi.check import check_menu, queues_from_conf
from ivr.agi.menu import Menu, MenuError, load_menu
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.config import IvrSettings
from ivr.recorder import CallRecorder

log = logging.getLogger(__name__)

ASTERISK_RECORDINGS = "/var/spool/asterisk/monitor"  # the instance's recordings/ as Asterisk sees it


def usable_menus(directory: Path, queues_conf: Path | None) -> dict[str, Menu]:
    """Load every menu of a directory; a menu with problems is logged and left out, never served."""
    known = None
    if queues_conf is not None and queues_conf.exists():
        known = queues_from_conf(queues_conf.read_text(encoding="utf-8"))
    menus = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            menu = load_menu(path)
        except MenuError as err:
            log.error("menu %s not served: %s", path, err)
            continue
        problems = check_menu(menu, known)
        for problem in problems:
            log.error("menu %s: %s", path, problem)
        if problems:
            log.error("menu %s not served: run `hotline ivr check %s`", path, path)
            continue
        menus[path.stem] = menu
    return menus


def fixed_clock(moment: datetime, timezone) -> Callable[[], datetime]:
    """Return a clock that always answers `moment` (naive values are read in the district's timezone)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone)
    return lambda: aware


def build_prompts(menus: dict[str, Menu], settings: IvrSettings, dataset) -> None:
    """Synthesise missing or changed prompts; a failure is logged (calls then hear silence), never fatal."""
    from ivr.agi import prompts

    try:
        jobs = prompts.plan(menus.values(), settings.prompts_path, settings.prompt_overrides_dir, dataset)
        built, unchanged = prompts.build(jobs, settings.prompts_path)
    except (prompts.PromptError, OSError) as err:
        log.error("prompts not built (%s): run `hotline prompts build`", err)
        return
    log.info("prompts in %s: %s built, %s unchanged", settings.prompts_path, built, unchanged)


def build_ivr_components(services, settings: IvrSettings, speech=None) -> list:
    """Return the FastAGI IVR server and the call recorder this process runs (each can be disabled)."""
    from ivr.asterisk.instance import Instance
    from ticketing.dataset import load_dataset

    recordings_dir = Instance.from_settings(settings).recordings_dir
    components: list = []
    if settings.ivr_enabled:
        dataset = load_dataset(services.settings.dataset_dir)
        clock = fixed_clock(settings.ivr_now, dataset.calendar.timezone) if settings.ivr_now else None
        ivr_services = IvrServices(services.session_factory, dataset,
                                   case_prefix=services.settings.case_prefix, clock=clock, speech=speech)
        menus = usable_menus(settings.menus_dir, settings.asterisk_config_dir / "queues.conf")
        prepare = (lambda: build_prompts(menus, settings, dataset)) if settings.prompts_autobuild else None
        components.append(IvrServer(menus, ivr_services, services.bus,
                                    RecordingPlaces(ASTERISK_RECORDINGS, recordings_dir),
                                    host=settings.agi_host, port=settings.agi_port,
                                    queue_in_dialplan=settings.ivr_queue_in_dialplan, before_start=prepare,
                                    server=settings.ami_server))
    if settings.recorder_enabled:
        components.append(CallRecorder(services.bus, services.session_factory, recordings_dir=recordings_dir))
    return components
