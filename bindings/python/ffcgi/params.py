"""The params of a request exactly as received, as (name, value) bytes pairs.

libffcgi hands a request's params over packed, NAME NUL VALUE NUL each, in
one call (ffcgi_env_packed / ffcgi_accept_env). split_params() is the one
place that turns that block into pairs; Params does it only when the pairs
are first used, which a WSGI request that never looks at ``ffcgi.params``
never pays for (about a tenth of a hello request's CPU: docs/benchmarks).
"""
from collections.abc import Sequence
from typing import Any, Iterator, Optional, Tuple, Union

Pair = Tuple[bytes, bytes]


def split_params(packed: bytes) -> Tuple[Pair, ...]:
    """The (name, value) pairs of ``packed``, in order, repeated names included."""
    fields = iter(packed.split(b"\0"))  # the last field, after the final NUL, is no name
    return tuple(zip(fields, fields))


class Params(Sequence):  # type: ignore[type-arg]
    """An immutable sequence of (name, value) bytes pairs, the params in the
    order received, repeated names included. It equals (and hashes as) the
    tuple of those pairs; ``tuple(params)`` is that tuple. Safe to share
    between threads (the pairs are made once; two threads that race may
    both make them, and either result is the same)."""

    __slots__ = ("_packed", "_pairs")

    def __init__(self, packed: bytes) -> None:
        self._packed = packed
        self._pairs: Optional[Tuple[Pair, ...]] = None

    def _all(self) -> Tuple[Pair, ...]:
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = split_params(self._packed)
        return pairs

    def __getitem__(self, index: Union[int, slice]) -> Union[Pair, Tuple[Pair, ...]]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Pair]:
        return iter(self._all())

    def __contains__(self, item: Any) -> bool:
        return item in self._all()

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Params):
            return self._packed == other._packed
        if isinstance(other, tuple):
            return self._all() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"ffcgi.Params({self._all()!r})"
