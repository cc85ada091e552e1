use v6.d;
#| A PSGI / P6W app's answer, taken apart: `[status, headers, body]` or a
#| Promise of it (what `start { ... }` apps return). Headers: a Hash (one
#| line per value; a list value gives several, e.g. Set-Cookie; sorted by
#| name, as a Hash has no order), a list of Pairs, or a flat list of name,
#| value, ... (both kept in order). Body: a Str, a Blob, a list of Str and
#| Blob chunks, a Supply or a Channel of them (sent as they come), or an
#| IO::Handle (read to its end and closed). An answer of another shape
#| dies with a message naming it.
unit module FastCGI::NativeCall::PSGI::Response;

#| Hands the answer over: `&head` once with the status (Int) and the
#| header lines (name => value Pairs of Str), right before the first body
#| chunk or, for an empty body, at the end — so that an app that dies
#| before its first chunk has given nothing yet; `&chunk` with each chunk
#| (Blob or Str).
sub send-response(Mu $answer, &head, &chunk) is export {
    my $response = $answer ~~ Promise ?? await($answer) !! $answer;
    die "the app returned {describe($response)}, not [status, headers, body]"
        unless $response ~~ Positional && $response !~~ Blob && $response.elems == 3;
    my ($status, $headers, $body) = $response[0], $response[1], $response[2];
    die "the app's status is {describe($status)}, not a number"
        unless $status ~~ Int || ($status ~~ Str && $status ~~ / ^ \d ** 3 $ /);
    my @lines = header-lines($headers);
    my $head-given = False;
    each-chunk($body, -> $chunk {
        head(+$status, @lines) unless $head-given++;
        chunk($chunk);
    });
    head(+$status, @lines) unless $head-given;
}

sub describe(Mu $value --> Str) {
    $value.defined ?? "a {$value.^name} ({$value.gist.substr(0, 60)})" !! "a {$value.^name} type object"
}

sub header-lines(Mu $headers --> List) {
    given $headers {
        when Associative {
            return .sort(*.key).map(-> (:$key, :$value) {
                |($value ~~ Positional ?? $value.list !! ($value,)).map({ ~$key => ~$_ })
            }).List
        }
        when Positional | Iterable {
            my @items = .list;
            return @items.map({ ~.key => ~.value }).List if @items.all ~~ Pair;
            return @items.map(-> $name, $value { ~$name => ~$value }).List
                if @items %% 2 && @items.none ~~ Pair;
        }
    }
    die "the app's headers are {describe($headers)}, not a Hash, a list of Pairs or of names and values"
}

sub each-chunk(Mu $body, &chunk) {
    given $body {
        when Blob { chunk($body) if $body.bytes }
        when Str { chunk($body) if $body.chars }
        when Supply { react whenever $body -> $piece { chunk($piece) } }
        when Channel { chunk($_) for $body.list }
        when IO::Handle {
            LEAVE $body.close;
            while $body.read(65536) -> $bytes { last unless $bytes.bytes; chunk($bytes) }
        }
        when Positional | Iterable { chunk($_) for .list }
        default { die "the app's body is {describe($body)}, not a Str, Blob, list, Supply, Channel or IO::Handle" }
    }
}
