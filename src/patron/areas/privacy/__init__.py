"""Privacy requests: a person's data exported, or erased (``patron privacy``, ``/api/v1/privacy``)."""
