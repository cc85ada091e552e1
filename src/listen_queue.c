/* listen_queue.c — how many connections wait in a listener's accept queue,
 * and how many may, for the status page. TCP tells through TCP_INFO (on a
 * listening socket tcpi_unacked is the queue, tcpi_sacked its limit); a
 * unix socket through the kernel's sock_diag netlink interface
 * (UDIAG_SHOW_RQLEN: the queue and the limit), asked for the one socket by
 * its inode. Both are what `ss -l` shows. */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

#define TCP_LISTEN_STATE 10 /* TCP_LISTEN of the kernel's tcp_states.h */

static int tcp_queue(int fd, long *queued, long *limit)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
        return -1;
    *queued = (long)info.tcpi_unacked;
    *limit = (long)info.tcpi_sacked;
    return 0;
}

/* Reads the one answer to the request sent on `nl`; 0 with the values. */
static int read_unix_answer(int nl, long *queued, long *limit)
{
    struct pollfd p = {.fd = nl, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1)
        return -1;
    long buf[1024]; /* aligned for the headers */
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n <= 0)
        return -1;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
        return -1;
    struct unix_diag_msg *msg = NLMSG_DATA(h);
    int attrs_len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *msg);
    for (struct nlattr *a = (struct nlattr *)(msg + 1);
         attrs_len >= (int)sizeof *a && a->nla_len >= sizeof *a && (int)a->nla_len <= attrs_len;
         attrs_len -= NLA_ALIGN(a->nla_len),
                       a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
        if (a->nla_type == UNIX_DIAG_RQLEN && a->nla_len >= NLA_HDRLEN + sizeof(struct unix_diag_rqlen)) {
            struct unix_diag_rqlen rq;
            memcpy(&rq, (char *)a + NLA_HDRLEN, sizeof rq);
            *queued = (long)rq.udiag_rqueue;
            *limit = (long)rq.udiag_wqueue;
            return 0;
        }
    }
    return -1;
}

static int unix_queue(int fd, long *queued, long *limit)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -1;
    struct {
        struct nlmsghdr h;
        struct unix_diag_req r;
    } ask = {
        .h = {.nlmsg_len = sizeof ask, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
              .nlmsg_flags = NLM_F_REQUEST},
        .r = {.sdiag_family = AF_UNIX, .udiag_states = 1u << TCP_LISTEN_STATE,
              .udiag_ino = (unsigned)st.st_ino, .udiag_show = UDIAG_SHOW_RQLEN,
              .udiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}},
    };
    int rc = send(nl, &ask, sizeof ask, 0) == (ssize_t)sizeof ask
                 ? read_unix_answer(nl, queued, limit)
                 : -1;
    close(nl);
    return rc;
}

int ffc_listen_queue(const struct ffcgi_server *srv, long *queued, long *limit)
{
    if (srv->fd < 0)
        return -1;
    return srv->is_tcp ? tcp_queue(srv->fd, queued, limit) : unix_queue(srv->fd, queued, limit);
}
