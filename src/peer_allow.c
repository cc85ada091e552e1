/* peer_allow.c — the allow-list of peer addresses for TCP listeners,
 * IPv4 and IPv6 with prefixes (libfcgi's FCGI_WEB_SERVER_ADDRS covers IPv4
 * only, and only inside its own accept, which libffcgi does not use). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "server.h"

void ffc_allow_init(struct ffc_allow *a)
{
    a->entries = NULL;
    a->count = 0;
    atomic_init(&a->refused, 0);
    atomic_init(&a->active, 0);
    pthread_mutex_init(&a->lock, NULL);
    a->detail[0] = '\0';
}

void ffc_allow_release(struct ffc_allow *a)
{
    free(a->entries);
    a->entries = NULL;
    a->count = 0;
    pthread_mutex_destroy(&a->lock);
}

/* Parses "addr" or "addr/prefix" into e; returns 0 or -1. */
static int parse_entry(const char *text, struct ffc_allow_entry *e)
{
    char host[64];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof host)
        return -1;
    memcpy(host, text, len);
    host[len] = '\0';
    memset(e, 0, sizeof *e);
    if (inet_pton(AF_INET, host, e->addr) == 1)
        e->family = AF_INET;
    else if (inet_pton(AF_INET6, host, e->addr) == 1)
        e->family = AF_INET6;
    else
        return -1;
    unsigned bits = e->family == AF_INET ? 32 : 128;
    e->prefix = bits;
    if (slash) {
        char *end;
        long prefix = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || prefix < 0 || prefix > (long)bits)
            return -1;
        e->prefix = (unsigned)prefix;
    }
    return 0;
}

int ffcgi_server_allow(ffcgi_server *srv, const char *addresses)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_allow: server is NULL");
    size_t len = addresses ? strlen(addresses) : 0;
    char *copy = malloc(len + 1);
    struct ffc_allow_entry *entries = calloc(len / 2 + 1, sizeof *entries);
    if (!copy || !entries) {
        free(copy);
        free(entries);
        return ffc_fail(FFCGI_ENOMEM, "cannot store the allow-list");
    }
    memcpy(copy, addresses ? addresses : "", len + 1);
    size_t count = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ", \t", &save); item; item = strtok_r(NULL, ", \t", &save)) {
        if (parse_entry(item, &entries[count]) != 0) {
            int rc = ffc_fail(FFCGI_EINVAL, "allow-list entry '%s' is not an IPv4 or IPv6 "
                              "address with an optional /prefix", item);
            free(copy);
            free(entries);
            return rc;
        }
        count++;
    }
    free(copy);
    if (!count) {
        free(entries);
        entries = NULL;
    }
    /* Swapped under the lock: a thread checking a peer sees the old list
     * or the new one, never a freed one. */
    pthread_mutex_lock(&srv->allow.lock);
    struct ffc_allow_entry *old = srv->allow.entries;
    srv->allow.entries = entries;
    srv->allow.count = count;
    atomic_store_explicit(&srv->allow.active, count > 0, memory_order_release);
    pthread_mutex_unlock(&srv->allow.lock);
    free(old);
    return 0;
}

static int matches(const struct ffc_allow_entry *e, int family, const unsigned char *addr)
{
    if (e->family != family)
        return 0;
    unsigned whole = e->prefix / 8, rest = e->prefix % 8;
    if (memcmp(e->addr, addr, whole) != 0)
        return 0;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return rest == 0 || (e->addr[whole] & mask) == (addr[whole] & mask);
}

/* Under the lock. */
static void record_refusal(struct ffc_allow *a, const char *host, unsigned port)
{
    atomic_fetch_add(&a->refused, 1);
    snprintf(a->detail, sizeof a->detail, "refused %s port %u: not in the allow-list", host, port);
}

/* 1 if the list allows addr (under the lock). */
static int allowed(const struct ffc_allow *a, int family, const unsigned char *addr)
{
    if (!a->entries)
        return 1;
    for (size_t i = 0; i < a->count; i++)
        if (matches(&a->entries[i], family, addr))
            return 1;
    return 0;
}

int ffc_allow_peer(struct ffc_allow *a, int fd)
{
    if (!atomic_load_explicit(&a->active, memory_order_acquire))
        return 1; /* no list: no getpeername() per connection */
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    int family = ss.ss_family;
    const unsigned char *addr;
    unsigned port;
    if (family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        addr = (const unsigned char *)&in->sin_addr;
        port = ntohs(in->sin_port);
    } else if (family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        addr = in6->sin6_addr.s6_addr;
        port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) { /* ::ffff:a.b.c.d is IPv4 */
            family = AF_INET;
            addr += 12;
        }
    } else {
        return 1; /* unix sockets: the file mode decides */
    }
    pthread_mutex_lock(&a->lock);
    int ok = allowed(a, family, addr);
    if (!ok) {
        char host[INET6_ADDRSTRLEN];
        inet_ntop(family, addr, host, sizeof host);
        record_refusal(a, host, port);
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}

int64_t ffcgi_server_refusals(ffcgi_server *srv, char *detail, size_t cap)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_refusals: server is NULL");
    if (detail && cap > 0) {
        pthread_mutex_lock(&srv->allow.lock);
        snprintf(detail, cap, "%s", srv->allow.detail);
        pthread_mutex_unlock(&srv->allow.lock);
    }
    return atomic_load(&srv->allow.refused);
}
