"""Callers the centre keeps a word about: numbers marked abusive or prank, with reason and expiry."""
