// header_cxx.cpp — proves <ffcgi.h> compiles on its own as strict C++11 and
// that its declarations have C linkage: this links only if the call below
// resolves to the unmangled symbol exported by libffcgi.
#include <ffcgi.h>

int main()
{
    return ffcgi_version() == FFCGI_VERSION_MAJOR * 10000 + FFCGI_VERSION_MINOR * 100
                                  + FFCGI_VERSION_PATCH ? 0 : 1;
}
