# The raw NativeCall declarations of libffcgi. Generated from include/ffcgi.h
# by bindings/gen/generate.py: do not edit; run `/usr/bin/python3 bindings/gen/generate.py`.
unit module FastCGI::NativeCall::Raw;

use NativeCall;

# The library: $FFCGI_LIBRARY if set (build/devenv sets it), else libffcgi
# of ABI version 1 from the system's library path. A sub, not a constant,
# so the choice is made at run time and not frozen at precompilation.
# Not exported: FastCGI::NativeCall::Raw::library names it.
our sub library {
    %*ENV<FFCGI_LIBRARY> || $*VM.platform-library-name('ffcgi'.IO, :version(v1)).Str
}

constant FFCGI_ABI_VERSION is export = 1;
constant FFCGI_BINDING_VERSION is export = v1.3.0;

enum ffcgi_error is export (
    FFCGI_OK => 0,
    FFCGI_EINVAL => -1,
    FFCGI_ENOMEM => -2,
    FFCGI_EADDRESS => -3,
    FFCGI_ESOCKET => -4,
    FFCGI_EEXIST => -5,
    FFCGI_EADDRINUSE => -6,
    FFCGI_ENOTLISTENING => -7,
    FFCGI_ESHUTDOWN => -8,
    FFCGI_EIO => -9,
    FFCGI_EDISCONNECTED => -10,
    FFCGI_EHEADER => -11,
    FFCGI_ESTATE => -12,
    FFCGI_EROLE => -13,
    FFCGI_ERANGE => -14,
    FFCGI_EPROTOCOL => -15,
    FFCGI_EABORTED => -16,
    FFCGI_ELIMIT => -17,
    FFCGI_ETIMEDOUT => -18,
    FFCGI_EFILE => -19,
);

enum ffcgi_limit is export (
    FFCGI_LIMIT_PARAM_BYTES => 1,
    FFCGI_LIMIT_PARAMS => 2,
    FFCGI_LIMIT_BODY_BYTES => 3,
    FFCGI_LIMIT_IDLE_MS => 4,
    FFCGI_LIMIT_CONNECTIONS => 5,
    FFCGI_LIMIT_SLOW_MS => 6,
    FFCGI_LIMIT_MAX_REQUESTS => 7,
    FFCGI_LIMIT_MAX_RSS_BYTES => 8,
    FFCGI_LIMIT_REQUEST_MS => 9,
);

enum ffcgi_retire_reason is export (
    FFCGI_RETIRED_NOT => 0,
    FFCGI_RETIRED_MAX_REQUESTS => 1,
    FFCGI_RETIRED_MAX_RSS => 2,
    FFCGI_RETIRED_TIMEOUT => 3,
);

enum ffcgi_exit_status is export (
    FFCGI_RETIRED_EXIT_STATUS => 75,
);

enum ffcgi_role is export (
    FFCGI_ROLE_RESPONDER => 1,
    FFCGI_ROLE_AUTHORIZER => 2,
    FFCGI_ROLE_FILTER => 3,
);

enum ffcgi_log_level is export (
    FFCGI_LOG_OFF => 0,
    FFCGI_LOG_ERROR => 1,
    FFCGI_LOG_WARNING => 2,
    FFCGI_LOG_INFO => 3,
    FFCGI_LOG_DEBUG => 4,
);

enum ffcgi_status_format is export (
    FFCGI_STATUS_TEXT => 0,
    FFCGI_STATUS_JSON => 1,
);

enum ffcgi_respond_flag is export (
    FFCGI_RESPOND_FLUSH => 1,
    FFCGI_RESPOND_FINISH => 2,
);

class ffcgi_server is repr('CPointer') is export { }
class ffcgi_request is repr('CPointer') is export { }

sub ffcgi_version(--> int32) is native(&library) is export { * }
sub ffcgi_version_string(--> Pointer) is native(&library) is export { * }
sub ffcgi_abi_version(--> int32) is native(&library) is export { * }
sub ffcgi_strerror(int32 $code --> Pointer) is native(&library) is export { * }
sub ffcgi_last_error(--> Pointer) is native(&library) is export { * }
sub ffcgi_is_fastcgi(--> int32) is native(&library) is export { * }
sub ffcgi_server_open(CArray[ffcgi_server] $out, Str $address, int32 $backlog, int32 $mode --> int32) is native(&library) is export { * }
sub ffcgi_server_from_fd(CArray[ffcgi_server] $out, int32 $fd --> int32) is native(&library) is export { * }
sub ffcgi_server_inherit(CArray[ffcgi_server] $out --> int32) is native(&library) is export { * }
sub ffcgi_server_is_cgi(ffcgi_server $srv --> int32) is native(&library) is export { * }
sub ffcgi_server_fd(ffcgi_server $srv --> int32) is native(&library) is export { * }
sub ffcgi_server_shutdown(ffcgi_server $srv) is native(&library) is export { * }
sub ffcgi_server_retired(ffcgi_server $srv --> int32) is native(&library) is export { * }
sub ffcgi_server_in_flight(ffcgi_server $srv --> int32) is native(&library) is export { * }
sub ffcgi_server_set_limit(ffcgi_server $srv, int32 $limit, int64 $value --> int32) is native(&library) is export { * }
sub ffcgi_server_limit(ffcgi_server $srv, int32 $limit --> int64) is native(&library) is export { * }
sub ffcgi_server_allow(ffcgi_server $srv, Str $addresses --> int32) is native(&library) is export { * }
sub ffcgi_server_refusals(ffcgi_server $srv, Blob $detail, size_t $cap --> int64) is native(&library) is export { * }
sub ffcgi_server_access_log(ffcgi_server $srv, Str $path --> int32) is native(&library) is export { * }
sub ffcgi_log_level_from_name(Str $name --> int32) is native(&library) is export { * }
sub ffcgi_server_error_log(ffcgi_server $srv, Str $path, int32 $level --> int32) is native(&library) is export { * }
sub ffcgi_server_log(ffcgi_server $srv, int32 $level, Str $message --> int32) is native(&library) is export { * }
sub ffcgi_request_log(ffcgi_request $req, int32 $level, Str $message --> int32) is native(&library) is export { * }
sub ffcgi_server_reopen_logs(ffcgi_server $srv --> int32) is native(&library) is export { * }
sub ffcgi_server_status_path(ffcgi_server $srv, Str $path --> int32) is native(&library) is export { * }
sub ffcgi_server_status(ffcgi_server $srv, int32 $format, Blob $buf, size_t $cap --> int64) is native(&library) is export { * }
sub ffcgi_server_free(ffcgi_server $srv) is native(&library) is export { * }
sub ffcgi_request_new(CArray[ffcgi_request] $out, ffcgi_server $srv --> int32) is native(&library) is export { * }
sub ffcgi_accept(ffcgi_request $req --> int32) is native(&library) is export { * }
sub ffcgi_accept_env(ffcgi_request $req, CArray[Pointer] $env, size_t $env-len is rw --> int32) is native(&library) is export { * }
sub ffcgi_finish(ffcgi_request $req --> int32) is native(&library) is export { * }
sub ffcgi_request_free(ffcgi_request $req) is native(&library) is export { * }
sub ffcgi_request_role(ffcgi_request $req --> int32) is native(&library) is export { * }
sub ffcgi_request_id(ffcgi_request $req --> int32) is native(&library) is export { * }
sub ffcgi_request_keep_conn(ffcgi_request $req --> int32) is native(&library) is export { * }
sub ffcgi_env_get(ffcgi_request $req, Str $name --> Pointer) is native(&library) is export { * }
sub ffcgi_env_count(ffcgi_request $req --> size_t) is native(&library) is export { * }
sub ffcgi_env_at(ffcgi_request $req, size_t $index, CArray[Pointer] $name, CArray[Pointer] $value --> int32) is native(&library) is export { * }
sub ffcgi_env_packed(ffcgi_request $req, CArray[Pointer] $buf, size_t $len is rw --> int32) is native(&library) is export { * }
sub ffcgi_read(ffcgi_request $req, Blob $buf, size_t $cap, size_t $nread is rw --> int32) is native(&library) is export { * }
sub ffcgi_read_data(ffcgi_request $req, Blob $buf, size_t $cap, size_t $nread is rw --> int32) is native(&library) is export { * }
sub ffcgi_status(ffcgi_request $req, int32 $code --> int32) is native(&library) is export { * }
sub ffcgi_status_reason(ffcgi_request $req, int32 $code, Str $reason --> int32) is native(&library) is export { * }
sub ffcgi_header(ffcgi_request $req, Str $name, Str $value --> int32) is native(&library) is export { * }
sub ffcgi_header_n(ffcgi_request $req, Blob $name, size_t $name-len, Blob $value, size_t $value-len --> int32) is native(&library) is export { * }
sub ffcgi_write(ffcgi_request $req, Blob $buf, size_t $len --> int32) is native(&library) is export { * }
sub ffcgi_print(ffcgi_request $req, Str $text --> int32) is native(&library) is export { * }
sub ffcgi_write_stderr(ffcgi_request $req, Blob $buf, size_t $len --> int32) is native(&library) is export { * }
sub ffcgi_flush(ffcgi_request $req --> int32) is native(&library) is export { * }
sub ffcgi_head_check(int32 $status, Blob $reason, size_t $reason-len, Blob $headers, size_t $headers-len, size_t $header-count --> int32) is native(&library) is export { * }
sub ffcgi_respond(ffcgi_request $req, int32 $status, Blob $reason, size_t $reason-len, Blob $headers, size_t $headers-len, size_t $header-count, Blob $body, size_t $body-len, int32 $flags --> int32) is native(&library) is export { * }
sub ffcgi_set_exit_status(ffcgi_request $req, int32 $status --> int32) is native(&library) is export { * }
