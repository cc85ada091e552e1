/* address.c — parses the listen address strings of ffcgi_server_open(). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "server.h"

static int is_unix_form(const char *a)
{
    return a[0] == '/' || strncmp(a, "./", 2) == 0 ||
           strncmp(a, "../", 3) == 0 || strncmp(a, "unix:", 5) == 0;
}

static int parse_unix(const char *address, struct ffc_address *out)
{
    const char *path = strncmp(address, "unix:", 5) == 0 ? address + 5 : address;
    size_t len = strlen(path);
    if (len == 0)
        return ffc_fail(FFCGI_EADDRESS, "address '%s': empty socket path", address);
    if (len >= sizeof out->path)
        return ffc_fail(FFCGI_EADDRESS,
                        "address '%s': socket path is %zu bytes, the limit is %zu",
                        address, len, sizeof out->path - 1);
    out->is_unix = 1;
    memcpy(out->path, path, len + 1);
    return 0;
}

static int parse_port(const char *address, const char *port, struct ffc_address *out)
{
    size_t len = strlen(port);
    if (len == 0 || len > 5 || strspn(port, "0123456789") != len ||
        strtol(port, NULL, 10) > 65535)
        return ffc_fail(FFCGI_EADDRESS,
                        "address '%s': port must be a number from 0 to 65535",
                        address);
    memcpy(out->port, port, len + 1);
    return 0;
}

static int parse_tcp(const char *address, struct ffc_address *out)
{
    const char *host = address;
    const char *host_end;
    const char *port;
    if (address[0] == '[') {
        host = address + 1;
        host_end = strchr(host, ']');
        if (!host_end || host_end[1] != ':')
            return ffc_fail(FFCGI_EADDRESS,
                            "address '%s': expected [IPv6-address]:port", address);
        port = host_end + 2;
    } else {
        host_end = strrchr(address, ':');
        if (!host_end)
            return ffc_fail(FFCGI_EADDRESS,
                            "address '%s': expected /path, unix:path, host:port "
                            "or [IPv6-address]:port", address);
        if (memchr(address, ':', (size_t)(host_end - address)))
            return ffc_fail(FFCGI_EADDRESS,
                            "address '%s': write IPv6 addresses as [addr]:port",
                            address);
        port = host_end + 1;
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len >= sizeof out->host)
        return ffc_fail(FFCGI_EADDRESS, "address '%s': host name too long", address);
    if (address[0] == '[' && host_len == 0)
        return ffc_fail(FFCGI_EADDRESS, "address '%s': empty IPv6 address", address);
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    if (strcmp(out->host, "*") == 0)
        out->host[0] = '\0';
    out->is_unix = 0;
    return parse_port(address, port, out);
}

int ffc_parse_address(const char *address, struct ffc_address *out)
{
    if (!address || !out)
        return ffc_fail(FFCGI_EINVAL, "listen address is NULL");
    memset(out, 0, sizeof *out);
    if (address[0] == '\0')
        return ffc_fail(FFCGI_EADDRESS, "listen address is empty");
    return is_unix_form(address) ? parse_unix(address, out)
                                 : parse_tcp(address, out);
}
