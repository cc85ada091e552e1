"""ffcgi.params.Params, the WSGI environ's ``ffcgi.params``: the packed
params as an immutable sequence of (name, value) pairs that equals their
tuple, split only when first used."""
import threading

import pytest

from ffcgi.params import Params, split_params

PACKED = b"A\0one\0B\0\0A\0again\0C=D\0e=f\0BIN\0\x01\xff\x80\0"
PAIRS = ((b"A", b"one"), (b"B", b""), (b"A", b"again"), (b"C=D", b"e=f"),
         (b"BIN", b"\x01\xff\x80"))


class CountingBytes(bytes):
    """A packed block that counts how often it is split."""
    splits = 0

    def split(self, *args, **kwargs):  # type: ignore[override]
        type(self).splits += 1
        return super().split(*args, **kwargs)


def test_split_params_keeps_order_repeats_empty_values_and_every_byte():
    assert split_params(PACKED) == PAIRS
    assert split_params(b"") == ()


def test_params_behave_as_the_tuple_of_pairs():
    params = Params(PACKED)
    assert params == PAIRS and PAIRS == params
    assert params != PAIRS[:-1] and params != list(PAIRS)
    assert tuple(params) == PAIRS and list(params) == list(PAIRS)
    assert len(params) == 5
    assert params[0] == (b"A", b"one") and params[-1] == PAIRS[-1]
    assert params[1:3] == PAIRS[1:3]
    assert (b"C=D", b"e=f") in params and (b"C", b"D=e=f") not in params
    assert params.index((b"A", b"again")) == 2 and params.count((b"A", b"one")) == 1
    assert list(reversed(params)) == list(reversed(PAIRS))
    assert hash(params) == hash(PAIRS)
    assert {params: 1}[PAIRS] == 1
    assert Params(PACKED) == params and Params(b"") != params
    assert repr(params) == f"ffcgi.Params({PAIRS!r})"
    with pytest.raises(IndexError):
        params[5]
    with pytest.raises(TypeError):
        params[0] = (b"X", b"y")  # type: ignore[index]


def test_params_are_split_once_and_only_when_used():
    CountingBytes.splits = 0
    params = Params(CountingBytes(PACKED))
    assert CountingBytes.splits == 0
    assert params[0] == (b"A", b"one")
    assert len(params) == 5 and list(params) == list(PAIRS)
    assert CountingBytes.splits == 1


def test_params_shared_by_threads_give_every_thread_the_same_pairs():
    params = Params(PACKED)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(tuple(params))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [PAIRS] * 8
