"""Components of the telephony side that run inside a hotline process."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def build_components(services) -> list:
    """Return the AMI bridge, FastAGI server, speech server and recorder this process should run."""
    from ivr.config import get_ivr_settings

    settings = get_ivr_settings()
    components: list = []
    if settings.ami_enabled:
        from ivr.ami.bridge import AmiBridge

        components.append(AmiBridge.from_settings(settings, services.bus))
    from ivr.speech.component import build_speech  # AudioSocket speech + message transcripts (speech helper)
    speech = build_speech(settings, services)
    components.extend([speech] if speech else [])
    from ivr.agi.component import build_ivr_components  # FastAGI IVR and call recorder (IVR helper)
    components.extend(build_ivr_components(services, settings, speech=speech.service if speech else None))
    return components


def browser_phones(settings=None):
    """Return the SIP accounts of the console's browser phones on this process's Asterisk instance."""
    from ivr.asterisk.instance import Instance
    from ivr.asterisk.webrtc import BrowserPhones
    from ivr.config import get_ivr_settings

    settings = settings or get_ivr_settings()
    return BrowserPhones(Instance.from_settings(settings), settings.webrtc_websocket_url)
