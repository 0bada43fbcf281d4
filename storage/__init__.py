"""Database access. Public functions each run one transaction and return plain data."""
