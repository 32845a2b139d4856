"""Engine, session factory and declarative base shared by every ticketing domain."""
