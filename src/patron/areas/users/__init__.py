"""Users of the web app and the API: accounts, passwords, API tokens, signing in and out (``patron user``)."""
