"""Identity and access: users, passwords, tokens, roles, grants and the ``can()`` decision."""
