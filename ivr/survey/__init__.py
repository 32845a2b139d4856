"""The satisfaction survey call (回访): IVR node types that read the case and keep the resident's rating."""
