use v6.d;
#| The part of one request's response that the app gave and libffcgi was
#| not handed yet: the status, the header lines (checked by libffcgi's
#| ffcgi_head_check when they were given) and up to HOLD-MAX bytes of body.
#| `send` hands it all over in one ffcgi_respond call — at a flush, at the
#| end of the request, or when the body held reaches HOLD-MAX — so that a
#| small response costs one native call instead of one per piece. One per
#| request handle, so used by one thread at a time.
unit class FastCGI::NativeCall::Pending;

use NativeCall;
use FastCGI::NativeCall::Raw;

#| Body bytes held back before they are handed to libffcgi.
our constant HOLD-MAX = 65536;

has int $.status = 0;  # 0: none
has Blob $!reason;     # the type object: the standard phrase
has @!blocks;          # packed header blocks, NAME\0VALUE\0 per line
has int $!count = 0;   # header lines in @!blocks
has Blob $!body;       # the body held: a Blob lent by the app (never a Buf) or our own buf8
has Bool $!owned = False;  # whether $!body is our own buf8, to append to
has int $!size = 0;
#| True once a write or a flush began the body: the head may not change.
has Bool $.head-closed = False;

#| Sets the status (a code libffcgi accepted; the reason's bytes or Blob).
method set-status(Int:D $code, Blob $reason) {
    $!status = $code;
    $!reason = $reason;
}

#| Adds `$count` checked header lines packed in `$block`.
method add-headers(Blob:D $block, Int:D $count) {
    @!blocks.push: $block;
    $!count += $count;
}

#| Holds body bytes (copied if the app may change them); True when the
#| body held has reached HOLD-MAX and should be sent.
method hold(Blob:D $bytes --> Bool) {
    $!head-closed = True;
    my int $n = $bytes.bytes;
    return False unless $n;
    if $!size == 0 {
        # Sent at once if that large: no need to copy a Buf then.
        $!body = $bytes ~~ Buf && $n < HOLD-MAX ?? Blob.new($bytes) !! $bytes;
    }
    else {
        unless $!owned {
            $!body = buf8.new.append($!body);
            $!owned = True;
        }
        $!body.append($bytes);
    }
    $!size += $n;
    $!size >= HOLD-MAX
}

#| Hands everything held to libffcgi with `$flags` (FFCGI_RESPOND_*) and
#| returns its code; holds nothing afterwards, whatever the code (after
#| FFCGI_RESPOND_FINISH, ready for the next request).
method send(ffcgi_request:D $req, Int:D $flags --> Int) {
    my $headers = @!blocks == 1 ?? @!blocks[0] !! @!blocks ?? joined(@!blocks) !! Blob;
    my $rc = ffcgi_respond($req, $!status, $!reason, $!reason.defined ?? $!reason.bytes !! 0,
                           $headers, $headers.defined ?? $headers.bytes !! 0, $!count,
                           $!body, $!size, $flags);
    # As in libffcgi: a flush closes the head only if there was one; the
    # next request begins with none.
    my $closed = !($flags +& FFCGI_RESPOND_FINISH.value)
        && ($!head-closed || ?($flags +& FFCGI_RESPOND_FLUSH.value && ($!status || $!count)));
    self.reset;
    $!head-closed = $closed;
    $rc
}

sub joined(@blobs --> Buf) {
    my $all = buf8.new;
    $all.append($_) for @blobs;
    $all
}

#| Whether anything is held.
method holds(--> Bool) { ?($!status || $!count || $!size) }

#| Forgets everything (a new request).
method reset() {
    $!status = 0;
    $!reason = Blob;
    @!blocks = ();
    $!count = 0;
    $!body = Blob;
    $!owned = False;
    $!size = 0;
    $!head-closed = False;
}
