"""The access audit trail of personal data (unmasked views, recordings and files opened)."""
