"""bureau."""
