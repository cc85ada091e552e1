use v6.d;
#| The request body as a PSGI / P6W app reads it (`psgi.input`, and as a
#| Supply `p6w.input`): in full (`slurp`, `Blob`, `decode`) or as a stream
#| (`read`, `Supply`), straight from the web server through libffcgi, so
#| that a large body is never held whole unless the app asks for it. The
#| library's body limit applies (reading past it throws X::FastCGI::Limit
#| and the library answers 413). Valid during its request only, on the
#| thread that serves it.
unit class FastCGI::NativeCall::PSGI::Input;

has $.fcgi is required;  # the FastCGI::NativeCall holding the request
has Bool $!ended = False;

#| Up to `$length` more bytes (fewer only at the end; empty at the end).
method read(Int:D $length = 65536 --> Buf) {
    return buf8.new if $!ended || $length <= 0;
    my $bytes = $!fcgi.read($length);
    $!ended = True if $bytes.bytes < $length;
    $bytes
}

#| True once the whole body was read.
method eof(--> Bool) { $!ended }

#| The rest of the body: a Blob with :bin, else text (UTF-8; bytes that are
#| not UTF-8 survive as utf8-c8 does).
method slurp(Bool :$bin) {
    my $all = buf8.new;
    $all.append(self.read) until $!ended;
    $bin ?? $all !! $all.decode('utf8-c8')
}

#| slurp, by the name IO::Handle had for it (Crust reads `slurp-rest(:bin)`).
method slurp-rest(Bool :$bin) { self.slurp(:$bin) }

#| The rest of the body as bytes: the old module's `psgi.input` was a Blob,
#| and apps did `%env<psgi.input>.decode`.
method Blob(--> Blob) { self.slurp(:bin) }
method decode(Str:D $encoding = 'utf-8' --> Str) { self.slurp(:bin).decode($encoding) }

#| The rest of the body as a Supply of Blobs (64 KiB at most each), read as
#| it is tapped.
method Supply(--> Supply) {
    supply {
        until $!ended {
            my $bytes = self.read;
            emit $bytes if $bytes.bytes;
        }
    }
}
