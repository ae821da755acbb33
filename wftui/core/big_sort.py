"""Sorting one number per execution without boxing them all at once.

The log's history sorts the ends and starts of every execution it knows (about 640k on
a 5M-line log). `sorted()` over all of them makes a Python object of every value (and,
for an order, of every index) at the same moment: 45 MB more at that log's memory peak,
each time the history is rebuilt. Past BLOCK values they are sorted a block at a time
into compact arrays, and the blocks merged (`heapq.merge`, which keeps ties in input
order: the result is what a stable `sorted()` gives). That costs about twice the CPU
of one `sorted()`; below BLOCK it is one `sorted()`, as before.
"""

from __future__ import annotations

import heapq
from array import array

BLOCK = 1 << 17


def order_of(values: array) -> array:
    """The indexes of `values` in ascending order of value, equal values in index order
    (as array('i'): 4 bytes an index, room for 2**31 executions)."""
    count = len(values)
    if count <= BLOCK:
        return array("i", sorted(range(count), key=values.__getitem__))
    key = values.__getitem__
    blocks = [array("i", sorted(range(start, min(start + BLOCK, count)), key=key))
              for start in range(0, count, BLOCK)]
    return array("i", heapq.merge(*blocks, key=key))


def sorted_values(values: array) -> array:
    """`values` in ascending order, as an array of the same type."""
    if len(values) <= BLOCK:
        return array(values.typecode, sorted(values))
    blocks = [array(values.typecode, sorted(values[start:start + BLOCK]))
              for start in range(0, len(values), BLOCK)]
    return array(values.typecode, heapq.merge(*blocks))
