#!/usr/bin/perl
# hello.pl — the hello app on Perl's FCGI module (Debian libfcgi-perl), the
# peer people pick in Perl: greets and counts requests like examples/hello.
#   perl tests/bench/apps/hello.pl --socket PATH
use strict;
use warnings;
use FCGI;

die "usage: $0 --socket PATH\n" unless @ARGV == 2 && $ARGV[0] eq '--socket';
my $socket = FCGI::OpenSocket($ARGV[1], 128) or die "$0: cannot open $ARGV[1]\n";
my %env;
my $request = FCGI::Request(\*STDIN, \*STDOUT, \*STDERR, \%env, $socket);
my $served = 0;
while ($request->Accept() >= 0) {
    $served++;
    print "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
          "<h1>Hello from Perl FCGI!</h1>\n<p>Request number $served</p>\n";
}
FCGI::CloseSocket($socket);
