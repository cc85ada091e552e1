use v6.d;
# The exceptions of FastCGI::NativeCall: X::FastCGI and one subclass per
# libffcgi error code (FFCGI_E* in include/ffcgi.h), plus X::FastCGI::ABI
# and X::FastCGI::Library for a library that cannot be used at all.

use FastCGI::NativeCall::Raw;

#| Done by the errors that come from the web server's side of the
#| connection (it went away, broke the protocol, an I/O error): the app did
#| nothing wrong and the next request can be served.
role X::FastCGI::Connection { }

#| Every error libffcgi reports. `code` is the negative FFCGI_E* value,
#| `what` the call that failed, `detail` the library's thread-local detail
#| (ffcgi_last_error), `description` the static text of the code.
class X::FastCGI is Exception {
    has Int $.code = 0;
    has Str $.what = 'libffcgi';
    has Str $.description = '';
    has Str $.detail = '';
    method message(--> Str) {
        my $text = "$!what: $!description";
        $!detail ?? "$text ($!detail)" !! $text
    }
}

class X::FastCGI::Invalid      is X::FastCGI { }  #= FFCGI_EINVAL
class X::FastCGI::NoMemory     is X::FastCGI { }  #= FFCGI_ENOMEM
class X::FastCGI::Address      is X::FastCGI { }  #= FFCGI_EADDRESS
class X::FastCGI::Socket       is X::FastCGI { }  #= FFCGI_ESOCKET
class X::FastCGI::Exists       is X::FastCGI { }  #= FFCGI_EEXIST
class X::FastCGI::AddressInUse is X::FastCGI { }  #= FFCGI_EADDRINUSE
class X::FastCGI::NotListening is X::FastCGI { }  #= FFCGI_ENOTLISTENING
class X::FastCGI::Shutdown     is X::FastCGI { }  #= FFCGI_ESHUTDOWN
class X::FastCGI::IO           is X::FastCGI does X::FastCGI::Connection { }  #= FFCGI_EIO
class X::FastCGI::Disconnected is X::FastCGI does X::FastCGI::Connection { }  #= FFCGI_EDISCONNECTED
class X::FastCGI::Header       is X::FastCGI { }  #= FFCGI_EHEADER
class X::FastCGI::State        is X::FastCGI { }  #= FFCGI_ESTATE
class X::FastCGI::Role         is X::FastCGI { }  #= FFCGI_EROLE
class X::FastCGI::Range        is X::FastCGI { }  #= FFCGI_ERANGE
class X::FastCGI::Protocol     is X::FastCGI does X::FastCGI::Connection { }  #= FFCGI_EPROTOCOL
class X::FastCGI::Aborted      is X::FastCGI does X::FastCGI::Connection { }  #= FFCGI_EABORTED
class X::FastCGI::Limit        is X::FastCGI { }  #= FFCGI_ELIMIT
class X::FastCGI::TimedOut     is X::FastCGI does X::FastCGI::Connection { }  #= FFCGI_ETIMEDOUT
class X::FastCGI::File         is X::FastCGI { }  #= FFCGI_EFILE

#| The loaded libffcgi has another ABI version than this binding was
#| generated for.
class X::FastCGI::ABI is X::FastCGI {
    has Int $.loaded;
    method message(--> Str) {
        "libffcgi at '{FastCGI::NativeCall::Raw::library()}' has ABI version $!loaded, "
            ~ "this binding needs {FFCGI_ABI_VERSION}"
    }
}

#| libffcgi cannot be loaded.
class X::FastCGI::Library is X::FastCGI {
    has Str $.reason;
    method message(--> Str) {
        "cannot load libffcgi ('{FastCGI::NativeCall::Raw::library()}'): $!reason; "
            ~ "install libffcgi (soname libffcgi.so.{FFCGI_ABI_VERSION}) or set FFCGI_LIBRARY "
            ~ "to the library's path"
    }
}

#| The exception class of each FFCGI_E* code (by value) that the header
#| defines; the names are looked up, so that a type can be ready here
#| before its code reaches the header.
our %CLASS-OF-CODE is export = (
    FFCGI_EINVAL => X::FastCGI::Invalid,
    FFCGI_ENOMEM => X::FastCGI::NoMemory,
    FFCGI_EADDRESS => X::FastCGI::Address,
    FFCGI_ESOCKET => X::FastCGI::Socket,
    FFCGI_EEXIST => X::FastCGI::Exists,
    FFCGI_EADDRINUSE => X::FastCGI::AddressInUse,
    FFCGI_ENOTLISTENING => X::FastCGI::NotListening,
    FFCGI_ESHUTDOWN => X::FastCGI::Shutdown,
    FFCGI_EIO => X::FastCGI::IO,
    FFCGI_EDISCONNECTED => X::FastCGI::Disconnected,
    FFCGI_EHEADER => X::FastCGI::Header,
    FFCGI_ESTATE => X::FastCGI::State,
    FFCGI_EROLE => X::FastCGI::Role,
    FFCGI_ERANGE => X::FastCGI::Range,
    FFCGI_EPROTOCOL => X::FastCGI::Protocol,
    FFCGI_EABORTED => X::FastCGI::Aborted,
    FFCGI_ELIMIT => X::FastCGI::Limit,
    FFCGI_ETIMEDOUT => X::FastCGI::TimedOut,
    FFCGI_EFILE => X::FastCGI::File,
).map({ ffcgi_error.enums{.key}:exists ?? (ffcgi_error.enums{.key} => .value) !! Empty }).Map;
