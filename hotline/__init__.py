"""Composition root: the `hotline` command and the process that runs every component together."""
