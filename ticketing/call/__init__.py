"""Telephone calls: the tables (ticketing.call.models) and the services the IVR uses to record them."""
