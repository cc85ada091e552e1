# A program written for the old FastCGI::NativeCall, in the shape of its
# documented synopsis. t/04-synopsis.t runs it as it is, except for the
# socket path, so that tests never share /tmp/fastcgi.sock.
use FastCGI::NativeCall;

my $fcgi = FastCGI::NativeCall.new(path => "/tmp/fastcgi.sock", backlog => 32 );

my $count = 0;

while $fcgi.accept() {
    say $fcgi.env;
    $fcgi.header(Content-Type => "text/html");
    $fcgi.Print("{ ++$count }");
}
