"""Case service: cases, bureaus, routing, working-time SLA, audit trail and the REST API."""
