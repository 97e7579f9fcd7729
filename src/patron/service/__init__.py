"""Use cases shared by every interface: the CLI, the API and the web pages call these."""
