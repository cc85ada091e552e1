/* header_c99.c — proves <ffcgi.h> compiles on its own as strict C99
 * (-std=c99 -pedantic -Wall -Wextra -Werror -Wstrict-prototypes): no GNU
 * extension, no C11, no declaration without a prototype, no missing include. */
#include <ffcgi.h>

int main(void)
{
    return ffcgi_version() == FFCGI_OK;
}
