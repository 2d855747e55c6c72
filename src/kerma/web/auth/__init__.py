"""Web access control: users, roles, passwords, sessions, API tokens, login throttling, route policy."""
