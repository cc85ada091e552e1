/* version.c — the version of the loaded library, for runtimes without a
 * preprocessor. */
#include "error.h"

#define FFC_STR2(x) #x
#define FFC_STR(x) FFC_STR2(x)

int ffcgi_version(void)
{
    return FFCGI_VERSION_MAJOR * 10000 + FFCGI_VERSION_MINOR * 100 +
           FFCGI_VERSION_PATCH;
}

const char *ffcgi_version_string(void)
{
    return FFC_STR(FFCGI_VERSION_MAJOR) "." FFC_STR(FFCGI_VERSION_MINOR) "."
        FFC_STR(FFCGI_VERSION_PATCH);
}

int ffcgi_abi_version(void)
{
    return FFCGI_ABI_VERSION;
}
