"""Identity resolution: one customer per person across the systems.

:mod:`~patron.resolve.records` turns parties into person records,
:mod:`~patron.resolve.model` scores pairs of them with Splink,
:mod:`~patron.resolve.merge` merges parties and undoes merges,
:mod:`~patron.resolve.quality` and :mod:`~patron.resolve.febrl` measure the result.
The use cases (run, review, explain, undo) are in :mod:`patron.service.resolve`.
"""
