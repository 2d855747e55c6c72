"""Server-rendered pages (Jinja2); each module has a `pages` router mounted by the app factory."""
