"""The one settings model of a hotline process: a section per package, read from HOTLINE_* variables and .env.

Each package owns its section's fields and documents them where they are used: `case`
(ticketing/config.py, HOTLINE_*), `ivr` (ivr/config.py: Asterisk, AMI, IVR, speech; HOTLINE_*) and
`console` (agent_console/config.py, HOTLINE_CONSOLE_*). Packages read their own section through their
getter (`ticketing` may not import the others); the composition root loads the whole model once, checks
that values several sections read agree, and hands each component its section. Every variable keeps its
name; `hotline config show` prints them all, `hotline config doc` writes docs/configuration.md.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_settings import BaseSettings

from agent_console.config import ConsoleSettings, get_console_settings
from ivr.config import IvrSettings, get_ivr_settings
from ticketing.config import Settings, get_settings


class HotlineSettings(BaseModel):
    """Every setting of the hotline, by section."""

    model_config = ConfigDict(frozen=True)

    SECTIONS: ClassVar[dict[str, type[BaseSettings]]] = {
        "case": Settings, "ivr": IvrSettings, "console": ConsoleSettings}
    # Variables more than one section reads (the first section named owns the documentation).
    SHARED: ClassVar[tuple[str, ...]] = ("var_dir",)

    case: Settings
    ivr: IvrSettings
    console: ConsoleSettings

    @model_validator(mode="after")
    def _shared_values_agree(self) -> HotlineSettings:
        for name in self.SHARED:
            values = {section: getattr(getattr(self, section), name) for section in self.SECTIONS
                      if name in self.SECTIONS[section].model_fields}
            if len(set(values.values())) > 1:
                raise ValueError(f"HOTLINE_{name.upper()} differs between sections: {values}")
        return self

    def sections(self) -> list[tuple[str, BaseSettings]]:
        """Return (name, section) in documentation order."""
        return [(name, getattr(self, name)) for name in self.SECTIONS]


def load() -> HotlineSettings:
    """Read every section from the environment (and .env) now."""
    return HotlineSettings(case=Settings(), ivr=IvrSettings(), console=ConsoleSettings())


@lru_cache
def get_hotline_settings() -> HotlineSettings:
    """Return this process's settings: the sections its packages' getters return, checked together."""
    return HotlineSettings(case=get_settings(), ivr=get_ivr_settings(), console=get_console_settings())
