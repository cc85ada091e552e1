# A program written for the old FastCGI::NativeCall::Async, in the shape of
# its documented synopsis. t/04-synopsis.t runs it as it is, except for the
# socket path.
use FastCGI::NativeCall::Async;

my $fna = FastCGI::NativeCall::Async.new(path => "/tmp/fastcgi.sock", backlog => 32 );

my $count = 0;

react {
    whenever $fna -> $fcgi {
        say $fcgi.env;
        $fcgi.Print("Content-Type: text/html\r\n\r\n{++$count}");
    }
}
