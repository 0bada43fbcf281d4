"""One module per resource; each function is named after the operationId it serves.

Handlers unpack arguments, call storage and return ``(body, status[, headers])``. Domain errors
raised by storage travel up to ``app.py``, which turns them into problem+json.
"""
