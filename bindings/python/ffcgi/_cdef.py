"""cffi declarations of libffcgi. Generated from include/ffcgi.h by
bindings/gen/generate.py: do not edit; run `/usr/bin/python3 bindings/gen/generate.py`."""

VERSION = "1.3.0"
ABI_VERSION = 1

CDEF = """
enum ffcgi_error {
    FFCGI_OK = 0,
    FFCGI_EINVAL = -1,
    FFCGI_ENOMEM = -2,
    FFCGI_EADDRESS = -3,
    FFCGI_ESOCKET = -4,
    FFCGI_EEXIST = -5,
    FFCGI_EADDRINUSE = -6,
    FFCGI_ENOTLISTENING = -7,
    FFCGI_ESHUTDOWN = -8,
    FFCGI_EIO = -9,
    FFCGI_EDISCONNECTED = -10,
    FFCGI_EHEADER = -11,
    FFCGI_ESTATE = -12,
    FFCGI_EROLE = -13,
    FFCGI_ERANGE = -14,
    FFCGI_EPROTOCOL = -15,
    FFCGI_EABORTED = -16,
    FFCGI_ELIMIT = -17,
    FFCGI_ETIMEDOUT = -18,
    FFCGI_EFILE = -19,
};
enum ffcgi_limit {
    FFCGI_LIMIT_PARAM_BYTES = 1,
    FFCGI_LIMIT_PARAMS = 2,
    FFCGI_LIMIT_BODY_BYTES = 3,
    FFCGI_LIMIT_IDLE_MS = 4,
    FFCGI_LIMIT_CONNECTIONS = 5,
    FFCGI_LIMIT_SLOW_MS = 6,
    FFCGI_LIMIT_MAX_REQUESTS = 7,
    FFCGI_LIMIT_MAX_RSS_BYTES = 8,
    FFCGI_LIMIT_REQUEST_MS = 9,
};
enum ffcgi_retire_reason {
    FFCGI_RETIRED_NOT = 0,
    FFCGI_RETIRED_MAX_REQUESTS = 1,
    FFCGI_RETIRED_MAX_RSS = 2,
    FFCGI_RETIRED_TIMEOUT = 3,
};
enum ffcgi_exit_status {
    FFCGI_RETIRED_EXIT_STATUS = 75,
};
enum ffcgi_role {
    FFCGI_ROLE_RESPONDER = 1,
    FFCGI_ROLE_AUTHORIZER = 2,
    FFCGI_ROLE_FILTER = 3,
};
enum ffcgi_log_level {
    FFCGI_LOG_OFF = 0,
    FFCGI_LOG_ERROR = 1,
    FFCGI_LOG_WARNING = 2,
    FFCGI_LOG_INFO = 3,
    FFCGI_LOG_DEBUG = 4,
};
enum ffcgi_status_format {
    FFCGI_STATUS_TEXT = 0,
    FFCGI_STATUS_JSON = 1,
};
enum ffcgi_respond_flag {
    FFCGI_RESPOND_FLUSH = 1,
    FFCGI_RESPOND_FINISH = 2,
};
typedef struct ffcgi_server ffcgi_server;
typedef struct ffcgi_request ffcgi_request;
int ffcgi_version(void);
const char *ffcgi_version_string(void);
int ffcgi_abi_version(void);
const char *ffcgi_strerror(int code);
const char *ffcgi_last_error(void);
int ffcgi_is_fastcgi(void);
int ffcgi_server_open(ffcgi_server **out, const char *address, int backlog, int mode);
int ffcgi_server_from_fd(ffcgi_server **out, int fd);
int ffcgi_server_inherit(ffcgi_server **out);
int ffcgi_server_is_cgi(const ffcgi_server *srv);
int ffcgi_server_fd(const ffcgi_server *srv);
void ffcgi_server_shutdown(ffcgi_server *srv);
int ffcgi_server_retired(const ffcgi_server *srv);
int ffcgi_server_in_flight(const ffcgi_server *srv);
int ffcgi_server_set_limit(ffcgi_server *srv, int limit, int64_t value);
int64_t ffcgi_server_limit(const ffcgi_server *srv, int limit);
int ffcgi_server_allow(ffcgi_server *srv, const char *addresses);
int64_t ffcgi_server_refusals(ffcgi_server *srv, char *detail, size_t cap);
int ffcgi_server_access_log(ffcgi_server *srv, const char *path);
int ffcgi_log_level_from_name(const char *name);
int ffcgi_server_error_log(ffcgi_server *srv, const char *path, int level);
int ffcgi_server_log(ffcgi_server *srv, int level, const char *message);
int ffcgi_request_log(ffcgi_request *req, int level, const char *message);
int ffcgi_server_reopen_logs(ffcgi_server *srv);
int ffcgi_server_status_path(ffcgi_server *srv, const char *path);
int64_t ffcgi_server_status(ffcgi_server *srv, int format, char *buf, size_t cap);
void ffcgi_server_free(ffcgi_server *srv);
int ffcgi_request_new(ffcgi_request **out, ffcgi_server *srv);
int ffcgi_accept(ffcgi_request *req);
int ffcgi_accept_env(ffcgi_request *req, const char **env, size_t *env_len);
int ffcgi_finish(ffcgi_request *req);
void ffcgi_request_free(ffcgi_request *req);
int ffcgi_request_role(const ffcgi_request *req);
int ffcgi_request_id(const ffcgi_request *req);
int ffcgi_request_keep_conn(const ffcgi_request *req);
const char *ffcgi_env_get(ffcgi_request *req, const char *name);
size_t ffcgi_env_count(ffcgi_request *req);
int ffcgi_env_at(ffcgi_request *req, size_t index, const char **name, const char **value);
int ffcgi_env_packed(ffcgi_request *req, const char **buf, size_t *len);
int ffcgi_read(ffcgi_request *req, void *buf, size_t cap, size_t *nread);
int ffcgi_read_data(ffcgi_request *req, void *buf, size_t cap, size_t *nread);
int ffcgi_status(ffcgi_request *req, int code);
int ffcgi_status_reason(ffcgi_request *req, int code, const char *reason);
int ffcgi_header(ffcgi_request *req, const char *name, const char *value);
int ffcgi_header_n(ffcgi_request *req, const char *name, size_t name_len, const char *value, size_t value_len);
int ffcgi_write(ffcgi_request *req, const void *buf, size_t len);
int ffcgi_print(ffcgi_request *req, const char *text);
int ffcgi_write_stderr(ffcgi_request *req, const void *buf, size_t len);
int ffcgi_flush(ffcgi_request *req);
int ffcgi_head_check(int status, const char *reason, size_t reason_len, const char *headers, size_t headers_len, size_t header_count);
int ffcgi_respond(ffcgi_request *req, int status, const char *reason, size_t reason_len, const char *headers, size_t headers_len, size_t header_count, const void *body, size_t body_len, int flags);
int ffcgi_set_exit_status(ffcgi_request *req, int status);
"""
