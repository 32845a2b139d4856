"""Agent and supervisor web console: server-rendered pages with live updates from the bus."""
