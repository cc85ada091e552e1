/*
 * fcgi_client.h - a small FastCGI 1.0 client (the web-server side of the
 * protocol) for tests and benchmarks.
 *
 * Conventions used by every function below unless its comment says otherwise:
 *  - Functions returning int return 0 (FCC_OK) on success or a negative
 *    enum fcc_status value on failure.  On failure a description is stored
 *    in a thread-local string returned by fcc_error(); for FCC_ERR_SYS errno
 *    is also set.
 *  - Invalid arguments (a record longer than 65535 bytes, a name-value length
 *    above 2^31-1, ...) give FCC_ERR_SYS with errno EINVAL; allocation
 *    failure gives FCC_ERR_SYS with errno ENOMEM.
 *  - Functions that append to an fcc_buf leave bytes already in it alone;
 *    on failure they may have appended part of their output.
 *  - timeout_ms is a deadline for the whole call; a negative value waits
 *    forever.
 *  - File descriptors must be connected stream sockets (as returned by
 *    fcc_connect() or socketpair()); the library never closes them.
 *  - There is no global state apart from the thread-local error text, so
 *    independent connections may be used from different threads.
 */
#ifndef FCGI_CLIENT_H
#define FCGI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Protocol constants (FastCGI 1.0 specification). */
enum {
    FCC_VERSION_1 = 1,
    FCC_HEADER_LEN = 8,
    FCC_MAX_CONTENT = 65535,
    FCC_MAX_PADDING = 255,
    FCC_MAX_NV_LEN = 0x7fffffff
};

enum fcc_record_type {
    FCC_BEGIN_REQUEST = 1,
    FCC_ABORT_REQUEST = 2,
    FCC_END_REQUEST = 3,
    FCC_PARAMS = 4,
    FCC_STDIN = 5,
    FCC_STDOUT = 6,
    FCC_STDERR = 7,
    FCC_DATA = 8,
    FCC_GET_VALUES = 9,
    FCC_GET_VALUES_RESULT = 10,
    FCC_UNKNOWN_TYPE = 11
};

enum fcc_role { FCC_RESPONDER = 1, FCC_AUTHORIZER = 2, FCC_FILTER = 3 };

enum { FCC_KEEP_CONN = 1 }; /* FCGI_BEGIN_REQUEST flags bit */

enum fcc_protocol_status {
    FCC_REQUEST_COMPLETE = 0,
    FCC_CANT_MPX_CONN = 1,
    FCC_OVERLOADED = 2,
    FCC_UNKNOWN_ROLE = 3
};

enum fcc_status {
    FCC_OK = 0,
    FCC_ERR_SYS = -1,     /* system call or argument error, errno set */
    FCC_ERR_TIMEOUT = -2, /* deadline passed */
    FCC_ERR_EOF = -3,     /* peer closed the connection too early */
    FCC_ERR_PROTO = -4    /* peer sent malformed or unexpected data */
};

/* Text describing the last error of the calling thread ("" if none yet).
 * The string is owned by the library and overwritten by the next error. */
const char *fcc_error(void);

/* ---- Connecting ------------------------------------------------------- */

/* Connects a stream socket to address, which is one of
 *   "/path" or "unix:/path"         Unix domain socket,
 *   "host:port" e.g. "127.0.0.1:9000" or "localhost:9000",
 *   "[v6addr]:port" e.g. "[::1]:9000".
 * Any other string without ':' is taken as a relative socket path.
 * TCP sockets get TCP_NODELAY.  Returns a blocking, close-on-exec file
 * descriptor owned by the caller, or -1 with errno set (EINVAL for a
 * malformed address, EHOSTUNREACH when the name does not resolve). */
int fcc_connect(const char *address);

/* Writes all len bytes with send(MSG_NOSIGNAL), retrying on EINTR, partial
 * writes and EAGAIN (for non-blocking sockets).  A closed peer gives
 * FCC_ERR_SYS with errno EPIPE or ECONNRESET, never SIGPIPE. */
int fcc_write_all(int fd, const void *data, size_t len);

/* ---- Growable byte buffer -------------------------------------------- */

/* A zero-initialised fcc_buf (FCC_BUF_INIT) is a valid empty buffer.  data
 * is owned by the buffer, may be NULL while cap is 0, and is released by
 * fcc_buf_free(). */
typedef struct fcc_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
} fcc_buf;

#define FCC_BUF_INIT { NULL, 0, 0 }

/* Ensures room for extra more bytes after len (data may move). */
int fcc_buf_reserve(fcc_buf *b, size_t extra);
/* Appends len bytes copied from data (data may be NULL when len is 0). */
int fcc_buf_append(fcc_buf *b, const void *data, size_t len);
/* Frees the storage and resets b to the empty state.  Safe to call twice. */
void fcc_buf_free(fcc_buf *b);

/* ---- Record encoding --------------------------------------------------- */

/* Appends an 8-byte record header. */
int fcc_put_header(fcc_buf *b, uint8_t type, uint16_t request_id,
                   size_t content_len, size_t padding_len);

/* Appends a complete record: header, len content bytes, padding_len zero
 * bytes.  len must be <= 65535 and padding_len <= 255 (else EINVAL). */
int fcc_put_record(fcc_buf *b, uint8_t type, uint16_t request_id,
                   const void *content, size_t len, size_t padding_len);

/* Appends an FCGI_BEGIN_REQUEST record for role with the given flags
 * (FCC_KEEP_CONN or 0). */
int fcc_put_begin(fcc_buf *b, uint16_t request_id, uint16_t role,
                  uint8_t flags);

/* Appends an FCGI_END_REQUEST record (useful for fake servers in tests). */
int fcc_put_end(fcc_buf *b, uint16_t request_id, uint32_t app_status,
                uint8_t protocol_status);

/* Appends data as records of the given type, each with at most chunk content
 * bytes (chunk 0 means 65535; above 65535 gives EINVAL), without padding.
 * The split ignores content structure, so a name-value stream may be cut
 * inside a pair.  Appends nothing when len is 0. */
int fcc_put_chunks(fcc_buf *b, uint8_t type, uint16_t request_id,
                   const void *data, size_t len, size_t chunk);

/* fcc_put_chunks() followed by the empty record that ends the stream. */
int fcc_put_stream(fcc_buf *b, uint8_t type, uint16_t request_id,
                   const void *data, size_t len, size_t chunk);

/* ---- Name-value pairs ------------------------------------------------- */

/* Flags forcing the 4-byte length form for lengths below 128. */
enum { FCC_NV_LONG_NAME = 1, FCC_NV_LONG_VALUE = 2 };

/* One name-value pair.  name/value are borrowed, binary-safe, and need not
 * be NUL-terminated (they may be NULL when their length is 0). */
typedef struct fcc_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    unsigned flags; /* FCC_NV_LONG_NAME | FCC_NV_LONG_VALUE or 0 */
} fcc_param;

/* Returns a pair borrowing the NUL-terminated strings name and value. */
fcc_param fcc_str_param(const char *name, const char *value);

/* Appends a name-value length: 1 byte for len < 128 unless force_long,
 * otherwise 4 bytes big-endian with the top bit set.  len > 2^31-1 gives
 * EINVAL. */
int fcc_put_nv_length(fcc_buf *b, size_t len, int force_long);

/* Appends one encoded pair (lengths, name, value). */
int fcc_put_nv(fcc_buf *b, const fcc_param *p);

/* Appends the raw name-value stream for n pairs (no record headers). */
int fcc_encode_params(fcc_buf *b, const fcc_param *params, size_t n);

/* A decoded pair; name and value are owned, NUL-terminated copies (the
 * lengths exclude the terminator, and the bytes may contain NULs). */
typedef struct fcc_nv {
    char *name;
    size_t name_len;
    char *value;
    size_t value_len;
} fcc_nv;

/* A list of decoded pairs; zero-initialise before first use. */
typedef struct fcc_nvlist {
    fcc_nv *items;
    size_t len;
    size_t cap;
} fcc_nvlist;

/* Decodes a complete name-value stream, appending the pairs to out.  A pair
 * cut short by the end of data gives FCC_ERR_PROTO. */
int fcc_decode_params(const void *data, size_t len, fcc_nvlist *out);

/* Returns the first pair whose name equals the NUL-terminated name, or NULL.
 * The pointer stays valid until the list is modified or freed. */
const fcc_nv *fcc_nvlist_find(const fcc_nvlist *list, const char *name);

/* Frees all pairs and resets the list to empty.  Safe to call twice. */
void fcc_nvlist_free(fcc_nvlist *list);

/* ---- Requests ---------------------------------------------------------- */

/* Everything needed to send one request.  All pointers are borrowed for the
 * duration of the call that uses the struct. */
typedef struct fcc_request {
    uint16_t id;             /* request id, normally 1 */
    uint16_t role;           /* enum fcc_role */
    int keep_conn;           /* nonzero: set FCC_KEEP_CONN */
    const fcc_param *params;
    size_t n_params;
    const void *stdin_data;  /* FCGI_STDIN body (may be NULL if len 0) */
    size_t stdin_len;
    const void *data;        /* FCGI_DATA; the stream is sent when role is
                                FCC_FILTER or data is non-NULL */
    size_t data_len;
    size_t params_chunk;     /* max content per PARAMS record, 0 = 65535 */
    size_t stdin_chunk;      /* max content per STDIN/DATA record, 0 = 65535 */
} fcc_request;

/* Appends the whole request byte stream to b: BEGIN_REQUEST, the PARAMS
 * stream, the STDIN stream and, if applicable, the DATA stream, each stream
 * ended by an empty record.  A chunk size above 65535 gives EINVAL. */
int fcc_encode_request(fcc_buf *b, const fcc_request *req);

/* Encodes req and writes it with fcc_write_all().  Does not read, so a large
 * body can deadlock against a server that answers while still reading; use
 * fcc_roundtrip() for that. */
int fcc_send_request(int fd, const fcc_request *req);

/* ---- Responses --------------------------------------------------------- */

/* Response collected for one request id.  Initialise with
 * fcc_response_init() and release with fcc_response_free(); the buffers are
 * owned by the struct. */
typedef struct fcc_response {
    fcc_buf out;                /* FCGI_STDOUT bytes */
    fcc_buf err;                /* FCGI_STDERR bytes */
    uint32_t app_status;        /* from FCGI_END_REQUEST */
    uint8_t protocol_status;    /* from FCGI_END_REQUEST */
    int got_end;                /* FCGI_END_REQUEST seen */
    int stdout_closed;          /* empty FCGI_STDOUT record seen */
    int stderr_closed;          /* empty FCGI_STDERR record seen */
    unsigned long records[256]; /* records seen per type, any request id */
    unsigned long other_records;/* records with a different request id */
    int keep_raw;               /* caller sets nonzero to fill raw */
    fcc_buf raw;                /* every record received, byte for byte */
} fcc_response;

/* Zeroes *r. */
void fcc_response_init(fcc_response *r);
/* Frees the buffers and zeroes *r. */
void fcc_response_free(fcc_response *r);

/* Reads records until FCGI_END_REQUEST for request_id, adding them to resp
 * (which accumulates; it is not reset).  Records of other ids and types are
 * only counted.  Never reads past the END_REQUEST record.  Errors:
 * FCC_ERR_TIMEOUT, FCC_ERR_EOF (connection closed before END_REQUEST,
 * including in the middle of a record), FCC_ERR_PROTO (version other than 1,
 * END_REQUEST content length other than 8, output after its stream ended),
 * FCC_ERR_SYS. */
int fcc_read_response(int fd, uint16_t request_id, fcc_response *resp,
                      int timeout_ms);

/* Sends req and reads its response concurrently (poll() with non-blocking
 * sends and receives), so bodies and responses of any size cannot deadlock.
 * resp is filled as by fcc_read_response().  If the server ends the request
 * before taking the whole body, the rest is still sent when req->keep_conn
 * (keeping the connection in sync) and dropped otherwise; a send failing with
 * EPIPE/ECONNRESET only stops sending. */
int fcc_roundtrip(int fd, const fcc_request *req, fcc_response *resp,
                  int timeout_ms);

/* ---- Raw records and management ---------------------------------------- */

/* One record as received.  content is owned (free with fcc_record_free). */
typedef struct fcc_record {
    uint8_t version;
    uint8_t type;
    uint16_t request_id;
    uint8_t padding_len;
    fcc_buf content; /* content bytes only, padding dropped */
} fcc_record;

/* Reads exactly one record (no validation at all).  rec's previous content
 * is replaced; zero-initialise rec before first use.  Errors: FCC_ERR_EOF
 * (also inside a record), FCC_ERR_TIMEOUT, FCC_ERR_SYS. */
int fcc_read_record(int fd, fcc_record *rec, int timeout_ms);

/* Frees rec->content. */
void fcc_record_free(fcc_record *rec);

/* Sends FCGI_GET_VALUES (request id 0) asking for the n NUL-terminated
 * names, reads the next record, and appends its pairs to out.  A next record
 * that is not an FCGI_GET_VALUES_RESULT for id 0, or a query above 65535
 * bytes, gives FCC_ERR_PROTO / EINVAL respectively. */
int fcc_get_values(int fd, const char *const *names, size_t n,
                   fcc_nvlist *out, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* FCGI_CLIENT_H */
