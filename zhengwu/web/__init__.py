"""The HTTP edge of the core: problem+json errors, request principal, health and login.

Handlers here translate HTTP to service calls and back; no business rule lives here.
"""
