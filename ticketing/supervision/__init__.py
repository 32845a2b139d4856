"""Deadline supervision: due instants of the running stage, the scheduler, notices and orders (督办单)."""
