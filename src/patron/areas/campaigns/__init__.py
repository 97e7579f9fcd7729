"""Campaigns and playbooks: the CLI, the API and the pages over act/ (issue 16)."""
