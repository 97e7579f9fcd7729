"""Results of campaigns: what a campaign or playbook changed, measured against its control group (issue 16)."""
