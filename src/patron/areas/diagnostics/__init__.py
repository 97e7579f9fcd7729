"""Model diagnostics of the current run (issue 13): tracking of calibration and holdout, period transactions,
the frequency/recency matrices, P(X(t)=n), and a customer's P(alive) history."""
