/* parser.h — the input of one FastCGI connection, checked where it was
 * read (parser.c). Pure functions over bytes already in memory: no I/O, no
 * locks; records the library owes the web server (management answers,
 * refusals) are appended to a `replies` buffer for the caller to send.
 *
 * A connection goes AT_BEGIN -> IN_PARAMS -> IN_BODY (the app reads
 * FCGI_STDIN, then FCGI_DATA for FILTER) -> back to AT_BEGIN; a request the
 * library refuses or an app left unread goes through SKIPPING instead.
 * Everything libfcgi mishandles (padding, management records, other
 * request ids, aborts, unknown roles, malformed or oversized params) is
 * settled here, before any app code sees the request. */
#ifndef FFCGI_PARSER_H
#define FFCGI_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "env_table.h"
#include "limits.h"

enum ffc_stage { FFC_AT_BEGIN, FFC_IN_PARAMS, FFC_IN_BODY, FFC_SKIPPING };

struct ffc_parser {
    enum ffc_stage stage;
    unsigned id;               /* of the current request */
    unsigned role;
    int keep;                  /* FCGI_KEEP_CONN */
    int over_limit;            /* the params passed a limit: refuse at their end */
    struct ffc_buf params;     /* PARAMS content collected so far */
    unsigned stream;           /* FFC_STDIN, then FFC_DATA (FILTER) */
    size_t content_left;       /* of the current record of `stream` */
    size_t padding_left;
    int stdin_ended;
    int data_ended;
    int failure;               /* 0, or the FFCGI_E* the body failed with */
    const char *problem;       /* what the head's parse refused or could not
                                * follow (a static text for the error log),
                                * NULL: nothing; the reader clears it */
    int problem_is_limit;      /* ... it is a limit refusal, not a protocol error */
    uint64_t body_bytes;       /* FCGI_STDIN content seen */
    struct ffc_buf early_data; /* FCGI_DATA sent before FCGI_STDIN ended */
    size_t early_taken;
    int early_data_ended;
};

enum ffc_head_result {
    FFC_HEAD_MORE = 0,  /* every byte is used; the head needs more */
    FFC_HEAD_READY = 1, /* a request's head is complete: env filled, stage IN_BODY */
    FFC_HEAD_CLOSE = 2, /* send the replies, then close the connection */
};

enum ffc_body_result {
    FFC_BODY_MORE = 0,   /* every byte is used; the stream needs more */
    FFC_BODY_FULL = 1,   /* `cap` bytes were delivered */
    FFC_BODY_END = 2,    /* the stream ended normally */
    FFC_BODY_FAILED = 3, /* the stream failed: parser->failure says how */
};

/* Frees the parser's memory; it is reusable (AT_BEGIN) afterwards. */
void ffc_parser_reset(struct ffc_parser *p);

/* Parses in[0..len) until a request's head is complete, answering or
 * passing over everything else (SKIPPING included). *used: the bytes
 * consumed (whole records only, except while skipping a body). On READY the
 * params are added to `env` (FCGI_ROLE first; names and values end at a
 * NUL, as libfcgi gives them). Returns an ffc_head_result, or FFCGI_ENOMEM. */
int ffc_parse_head(struct ffc_parser *p, const unsigned char *in, size_t len, size_t *used,
                   const struct ffc_limit_values *limits, struct ffc_buf *replies,
                   struct ffc_env_table *env);

/* Delivers content of the current stream from in[0..len) into out[0..cap)
 * (out NULL: discards it). *used and *copied say how much was consumed and
 * delivered. STDIN content past limits->body_bytes sets the failure
 * FFCGI_ELIMIT and is discarded from then on. Returns an ffc_body_result. */
int ffc_parse_body(struct ffc_parser *p, const unsigned char *in, size_t len, size_t *used,
                   unsigned char *out, size_t cap, size_t *copied,
                   const struct ffc_limit_values *limits, struct ffc_buf *replies);

/* Switches a FILTER request to FCGI_DATA (after FCGI_STDIN's end). */
void ffc_parser_start_data(struct ffc_parser *p);
/* The app is done with the request: AT_BEGIN if all of it was read, else
 * SKIPPING (what is left of it is read and dropped). */
void ffc_parser_skip_rest(struct ffc_parser *p);
/* 1 if the connection is out of step after the failure (close it). */
int ffc_failure_is_fatal(int failure);

#endif
