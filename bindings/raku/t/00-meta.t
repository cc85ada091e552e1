use v6.d;
# META6.json is what zef and the ecosystem expect (Test::META, Debian's
# raku-test-meta): a valid auth, authors, source-url, a license, and every
# module of lib/ in provides with its file present.
use Test;
use Test::META;
use JSON::Fast;

plan 2;

meta-ok;

my %provides = from-json($?FILE.IO.parent.parent.add('META6.json').slurp)<provides>;
my @modules = $?FILE.IO.parent.parent.add('lib').dir(test => none('.', '..', '.precomp'))
              .map(&modules-under).flat.sort;
is-deeply %provides.keys.sort.List, @modules.List, 'every module under lib/ is provided';

sub modules-under(IO::Path $path) {
    $path.d ?? $path.dir(test => none('.', '..', '.precomp')).map(&modules-under).flat
            !! $path.extension eq 'rakumod'
                ?? $path.relative($?FILE.IO.parent.parent.add('lib')).subst(/ '.rakumod' $ /, '').split('/').join('::')
                !! Empty
}
