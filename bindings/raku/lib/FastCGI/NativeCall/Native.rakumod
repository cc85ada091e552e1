use v6.d;
# The hand-written glue between the generated declarations (Raw) and the
# API: copying borrowed C memory into Raku values, turning return codes into
# typed exceptions, and the ABI check done when the binding loads.
unit module FastCGI::NativeCall::Native;

use NativeCall;
use FastCGI::NativeCall::Raw;
use FastCGI::NativeCall::X;

# From the C library already in the process (no library name: the process).
sub memcpy(Blob, Pointer, size_t --> Pointer) is native { * }
sub strlen(Pointer --> size_t) is native { * }

#| A copy of `$len` bytes that libffcgi lends at `$from` (e.g. the packed
#| env), made with one memcpy rather than a native read per byte.
sub copy-bytes(Pointer $from, Int $len --> Buf) is export {
    my $buf = buf8.allocate($len);
    memcpy($buf, $from, $len) if $len;
    $buf
}

#| A borrowed NUL-terminated string as a Str (Str type object for NULL).
#| utf8-c8: bytes that are not UTF-8 survive instead of dying, and encoding
#| the result with utf8-c8 gives the original bytes back.
sub c-string(Pointer $from --> Str) is export {
    $from ?? copy-bytes($from, strlen($from)).decode('utf8-c8') !! Str
}

#| The exception for a negative return code of the call `$what`, with the
#| library's detail (read at once: it is thread-local and lasts until the
#| next call on this thread).
sub error-for(Int $code, Str $what --> X::FastCGI) is export {
    my \type = %CLASS-OF-CODE{$code}:exists ?? %CLASS-OF-CODE{$code} !! X::FastCGI;
    type.new(
        :$code, :$what,
        description => c-string(ffcgi_strerror($code)),
        detail => c-string(ffcgi_last_error()) // '')
}

#| Returns `$rc` when it is not negative; throws the typed exception if it is.
sub check(Int $rc, Str $what --> Int) is export {
    $rc < 0 ?? error-for($rc, $what).throw !! $rc
}

#| Loads libffcgi and compares its ABI version with the one this binding
#| was generated for; throws X::FastCGI::Library or X::FastCGI::ABI.
sub check-abi() is export {
    my $loaded = try ffcgi_abi_version();
    X::FastCGI::Library.new(reason => $!.message).throw without $loaded;
    X::FastCGI::ABI.new(:$loaded).throw unless $loaded == FFCGI_ABI_VERSION;
}
