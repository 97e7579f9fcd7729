"""The audit log: who changed what, and when, for the admins who answer for it (``patron audit``)."""
