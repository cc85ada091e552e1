use v6.d;
#| Where a PSGI / P6W app writes its errors (`psgi.errors`, `p6w.errors`):
#| FCGI_STDERR of its request, which the web server puts in its error log.
#| Takes the IO::Handle calls apps use (print, say, put, printf, note,
#| write) and, as the Supplier P6W asks for, `emit`. Once the request has
#| ended, lines go to the process's $*ERR instead of being lost.
unit class FastCGI::NativeCall::PSGI::Errors;

has $.fcgi is required;  # the FastCGI::NativeCall holding the request

#| Writes text (UTF-8) or bytes; True.
method write(Blob:D $bytes --> True) {
    $!fcgi.stderr($bytes);
    CATCH { default { $*ERR.write($bytes) } }
}
method print(*@text --> True) { self.write(@text.join.encode('utf8-c8')) }
method put(*@text --> True) { self.print(|@text, "\n") }
method say(*@text --> True) { self.print(|@text.map(*.gist), "\n") }
method note(*@text --> True) { self.say(|@text) }
method printf(Str() $format, *@args --> True) { self.print(sprintf($format, |@args)) }
#| One message, as a line.
method emit(Str() $message --> True) { self.print($message.ends-with("\n") ?? $message !! "$message\n") }
method flush(--> True) { }
