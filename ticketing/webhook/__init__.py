"""Webhooks: signed POSTs of case events to the systems that registered a URL, retried until delivered."""
