"""Provision and run the Asterisk the hotline talks to (cached Debian root or a system install)."""
