"""Server-rendered pages (Jinja2) over the same service layer as the API and the CLI."""
