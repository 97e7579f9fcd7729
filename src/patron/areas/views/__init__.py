"""Saved views: a list's filters kept under a name, personal or shared; a playbook's audience too."""
