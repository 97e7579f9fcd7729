"""Background jobs: analysis runs started from the web service, and following any job."""
