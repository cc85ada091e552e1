"""fcgi_ctypes — the FastCGI test client of tests/client, loaded with ctypes.

The conformance driver does its wire work here: request encoding (params
with 1- or 4-byte lengths, streams cut into records of any size, also inside
a name-value pair), concurrent send/receive of whole requests, reading
responses and single records, decoding name-value pairs. The structs below mirror
tests/client/fcgi_client.h; on load they are checked field by field against
the compiler's layout (conformance_layout() in layout.c), so a change of the
header fails loudly instead of corrupting memory.

Every call releases the GIL (ctypes.CDLL), so threads really run in parallel.
"""
import ctypes
import errno as errno_codes
import os
from ctypes import (POINTER, Structure, byref, c_char_p, c_int, c_long, c_size_t, c_uint,
                    c_uint8, c_uint16, c_uint32, c_ulong, c_void_p)
from typing import List, NamedTuple, Optional, Sequence, Tuple

# Record types and statuses (FastCGI 1.0), also used by the case files.
RECORD_TYPES = {
    "BEGIN_REQUEST": 1, "ABORT_REQUEST": 2, "END_REQUEST": 3, "PARAMS": 4, "STDIN": 5,
    "STDOUT": 6, "STDERR": 7, "DATA": 8, "GET_VALUES": 9, "GET_VALUES_RESULT": 10,
    "UNKNOWN_TYPE": 11,
}
ROLES = {"RESPONDER": 1, "AUTHORIZER": 2, "FILTER": 3}
PROTOCOL_STATUSES = {"REQUEST_COMPLETE": 0, "CANT_MPX_CONN": 1, "OVERLOADED": 2,
                     "UNKNOWN_ROLE": 3}
KEEP_CONN = 1
NV_LONG_NAME, NV_LONG_VALUE = 1, 2
ERR_SYS, ERR_TIMEOUT, ERR_EOF, ERR_PROTO = -1, -2, -3, -4


class FccBuf(Structure):
    _fields_ = [("data", c_void_p), ("len", c_size_t), ("cap", c_size_t)]

    def bytes(self) -> bytes:
        return ctypes.string_at(self.data, self.len) if self.len else b""


class FccParam(Structure):
    _fields_ = [("name", c_char_p), ("name_len", c_size_t), ("value", c_char_p),
                ("value_len", c_size_t), ("flags", c_uint)]


class FccNv(Structure):
    _fields_ = [("name", c_void_p), ("name_len", c_size_t), ("value", c_void_p),
                ("value_len", c_size_t)]


class FccNvlist(Structure):
    _fields_ = [("items", POINTER(FccNv)), ("len", c_size_t), ("cap", c_size_t)]


class FccRequest(Structure):
    _fields_ = [("id", c_uint16), ("role", c_uint16), ("keep_conn", c_int),
                ("params", POINTER(FccParam)), ("n_params", c_size_t),
                ("stdin_data", c_char_p), ("stdin_len", c_size_t),
                ("data", c_char_p), ("data_len", c_size_t),
                ("params_chunk", c_size_t), ("stdin_chunk", c_size_t)]


class FccResponse(Structure):
    _fields_ = [("out", FccBuf), ("err", FccBuf), ("app_status", c_uint32),
                ("protocol_status", c_uint8), ("got_end", c_int), ("stdout_closed", c_int),
                ("stderr_closed", c_int), ("records", c_ulong * 256),
                ("other_records", c_ulong), ("keep_raw", c_int), ("raw", FccBuf)]


class FccRecord(Structure):
    _fields_ = [("version", c_uint8), ("type", c_uint8), ("request_id", c_uint16),
                ("padding_len", c_uint8), ("content", FccBuf)]


MIRRORS = {"fcc_buf": FccBuf, "fcc_param": FccParam, "fcc_nv": FccNv,
           "fcc_nvlist": FccNvlist, "fcc_request": FccRequest, "fcc_response": FccResponse,
           "fcc_record": FccRecord}


class WireError(Exception):
    """A client call failed: status is an FCC_ERR_* value, errno set for ERR_SYS."""

    def __init__(self, what: str, status: int, message: str, err: int):
        super().__init__(f"{what}: {message}")
        self.status, self.errno = status, err

    @property
    def closed(self) -> bool:
        """The peer closed or reset the connection."""
        return self.status == ERR_EOF or (
            self.status == ERR_SYS and self.errno in (errno_codes.EPIPE, errno_codes.ECONNRESET))


class Param(NamedTuple):
    name: bytes
    value: bytes
    flags: int = 0  # NV_LONG_NAME | NV_LONG_VALUE: 4-byte lengths even when short


class Request(NamedTuple):
    id: int = 1
    role: int = 1
    keep_conn: bool = False
    params: Sequence[Param] = ()
    stdin: bytes = b""
    data: Optional[bytes] = None  # FCGI_DATA; sent when not None or role is FILTER
    params_chunk: int = 0         # max content per record, 0 = 65535
    stdin_chunk: int = 0


class Response(NamedTuple):
    stdout: bytes
    stderr: bytes
    app_status: int
    protocol_status: int
    stdout_closed: bool
    stderr_closed: bool
    other_records: int


class Record(NamedTuple):
    version: int
    type: int
    request_id: int
    padding_len: int
    content: bytes


class Client:
    """The loaded client library; one instance serves every thread."""

    def __init__(self, path: str):
        self.lib = lib = ctypes.CDLL(path, use_errno=True)
        lib.conformance_layout.restype = c_long
        lib.conformance_layout.argtypes = [c_char_p]
        self._check_layout()
        lib.fcc_error.restype = c_char_p
        lib.fcc_connect.argtypes = [c_char_p]
        lib.fcc_write_all.argtypes = [c_int, c_char_p, c_size_t]
        lib.fcc_buf_free.argtypes = [POINTER(FccBuf)]
        lib.fcc_buf_free.restype = None
        lib.fcc_put_begin.argtypes = [POINTER(FccBuf), c_uint16, c_uint16, c_uint8]
        lib.fcc_put_record.argtypes = [POINTER(FccBuf), c_uint8, c_uint16, c_char_p, c_size_t,
                                       c_size_t]
        lib.fcc_put_stream.argtypes = [POINTER(FccBuf), c_uint8, c_uint16, c_char_p, c_size_t,
                                       c_size_t]
        lib.fcc_encode_params.argtypes = [POINTER(FccBuf), POINTER(FccParam), c_size_t]
        lib.fcc_encode_request.argtypes = [POINTER(FccBuf), POINTER(FccRequest)]
        lib.fcc_response_init.argtypes = lib.fcc_response_free.argtypes = [POINTER(FccResponse)]
        lib.fcc_response_init.restype = lib.fcc_response_free.restype = None
        lib.fcc_roundtrip.argtypes = [c_int, POINTER(FccRequest), POINTER(FccResponse), c_int]
        lib.fcc_read_response.argtypes = [c_int, c_uint16, POINTER(FccResponse), c_int]
        lib.fcc_read_record.argtypes = [c_int, POINTER(FccRecord), c_int]
        lib.fcc_record_free.argtypes = [POINTER(FccRecord)]
        lib.fcc_record_free.restype = None
        lib.fcc_decode_params.argtypes = [c_char_p, c_size_t, POINTER(FccNvlist)]
        lib.fcc_nvlist_free.argtypes = [POINTER(FccNvlist)]
        lib.fcc_nvlist_free.restype = None

    def _check_layout(self) -> None:
        for name, mirror in MIRRORS.items():
            wrong = []
            if self.lib.conformance_layout(name.encode()) != ctypes.sizeof(mirror):
                wrong.append("size")
            for field, _ in mirror._fields_:
                if self.lib.conformance_layout(f"{name}.{field}".encode()) != \
                        getattr(mirror, field).offset:
                    wrong.append(field)
            if wrong:
                raise RuntimeError(f"fcgi_ctypes.py does not match tests/client/fcgi_client.h: "
                                   f"{name} differs in {', '.join(wrong)}")

    def _check(self, what: str, rc: int) -> None:
        if rc != 0:
            err = ctypes.get_errno()
            raise WireError(what, rc, self.lib.fcc_error().decode(errors="replace"), err)

    # -- connections -------------------------------------------------------

    def connect(self, address: str) -> int:
        fd = self.lib.fcc_connect(address.encode())
        if fd < 0:
            err = ctypes.get_errno()
            raise WireError(f"connect {address}", ERR_SYS, os.strerror(err), err)
        return fd

    def write_all(self, fd: int, data: bytes) -> None:
        self._check("send", self.lib.fcc_write_all(fd, data, len(data)))

    # -- encoding ----------------------------------------------------------

    def _collect(self, what: str, fill) -> bytes:
        buf = FccBuf()
        try:
            self._check(what, fill(byref(buf)))
            return buf.bytes()
        finally:
            self.lib.fcc_buf_free(byref(buf))

    @staticmethod
    def _param_array(params: Sequence[Param]):
        array = (FccParam * max(len(params), 1))()
        for slot, p in zip(array, params):
            slot.name, slot.name_len = p.name, len(p.name)
            slot.value, slot.value_len = p.value, len(p.value)
            slot.flags = p.flags
        return array

    def _request_struct(self, req: Request) -> FccRequest:
        s = FccRequest(id=req.id, role=req.role, keep_conn=int(req.keep_conn),
                       n_params=len(req.params), stdin_data=req.stdin, stdin_len=len(req.stdin),
                       data=req.data, data_len=len(req.data or b""),
                       params_chunk=req.params_chunk, stdin_chunk=req.stdin_chunk)
        s.params = self._param_array(req.params)  # the struct keeps the array alive
        return s

    def encode_request(self, req: Request) -> bytes:
        s = self._request_struct(req)
        return self._collect("encode request", lambda b: self.lib.fcc_encode_request(b, byref(s)))

    def encode_params(self, params: Sequence[Param]) -> bytes:
        """The name-value stream of params, without record headers."""
        array = self._param_array(params)
        return self._collect("encode params",
                             lambda b: self.lib.fcc_encode_params(b, array, len(params)))

    def begin_record(self, request_id: int, role: int, flags: int) -> bytes:
        return self._collect("encode BEGIN_REQUEST",
                             lambda b: self.lib.fcc_put_begin(b, request_id, role, flags))

    def record(self, type_: int, request_id: int, content: bytes, padding: int = 0) -> bytes:
        return self._collect("encode record", lambda b: self.lib.fcc_put_record(
            b, type_, request_id, content, len(content), padding))

    def stream(self, type_: int, request_id: int, data: bytes, chunk: int) -> bytes:
        """data as records of at most chunk bytes, then the empty record."""
        return self._collect("encode stream", lambda b: self.lib.fcc_put_stream(
            b, type_, request_id, data, len(data), chunk))

    # -- exchanges ---------------------------------------------------------

    def _response(self, what: str, call) -> Response:
        r = FccResponse()
        self.lib.fcc_response_init(byref(r))
        try:
            self._check(what, call(byref(r)))
            return Response(r.out.bytes(), r.err.bytes(), r.app_status, r.protocol_status,
                            bool(r.stdout_closed), bool(r.stderr_closed), r.other_records)
        finally:
            self.lib.fcc_response_free(byref(r))

    def roundtrip(self, fd: int, req: Request, timeout_ms: int) -> Response:
        """Sends req while reading its response (no deadlock at any size)."""
        s = self._request_struct(req)
        return self._response("request", lambda r: self.lib.fcc_roundtrip(fd, byref(s), r,
                                                                          timeout_ms))

    def read_response(self, fd: int, request_id: int, timeout_ms: int) -> Response:
        return self._response("response", lambda r: self.lib.fcc_read_response(
            fd, request_id, r, timeout_ms))

    def read_record(self, fd: int, timeout_ms: int) -> Record:
        rec = FccRecord()
        try:
            self._check("read record", self.lib.fcc_read_record(fd, byref(rec), timeout_ms))
            return Record(rec.version, rec.type, rec.request_id, rec.padding_len,
                          rec.content.bytes())
        finally:
            self.lib.fcc_record_free(byref(rec))

    def _pairs(self, what: str, fill) -> List[Tuple[bytes, bytes]]:
        out = FccNvlist()
        try:
            self._check(what, fill(byref(out)))
            return [(ctypes.string_at(nv.name, nv.name_len),
                     ctypes.string_at(nv.value, nv.value_len))
                    for nv in out.items[:out.len]]
        finally:
            self.lib.fcc_nvlist_free(byref(out))

    def decode_params(self, data: bytes) -> List[Tuple[bytes, bytes]]:
        """The pairs of a complete name-value stream."""
        return self._pairs("decode name-value pairs",
                           lambda out: self.lib.fcc_decode_params(data, len(data), out))
