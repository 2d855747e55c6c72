"""Web app: REST API under /api, HTML pages at /, static assets served by Kerma itself."""
