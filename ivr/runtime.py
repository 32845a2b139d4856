"""Components of the telephony side that run inside a hotline process."""

from __future__ import annotations


def build_components(services) -> list:
    """Return the AMI bridge, FastAGI server, speech server and recorder this process should run."""
    return []
