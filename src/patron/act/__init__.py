"""Acting on relationships (issue 16): playbooks, audiences, control groups and campaigns; delivery
(``delivery``, ``rules``) and measured response (``measure``) build on them."""
