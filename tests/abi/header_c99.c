/* header_c99.c — proves <ffcgi.h> compiles on its own as strict C99
 * (-std=c99 -pedantic -Wall -Wextra -Werror): no GNU extensions, no C11,
 * no missing includes. */
#include <ffcgi.h>

int main(void)
{
    return ffcgi_version() == FFCGI_OK;
}
