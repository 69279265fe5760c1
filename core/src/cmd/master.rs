//! Commands a master serves to its replicas: SYNC, PSYNC, REPLCONF, and
//! WAIT for its clients (Redis's `replication.c`). The work is in
//! [`crate::engine::master`].

use super::spec::{acl, flag::*, Command, Group};
use super::{errors, Ctx};
use crate::engine::master;
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const S: Group = Group::Server;

/// The replication commands of a master.
pub static COMMANDS: &[Command] = &[
    Command::new("sync", 1, NO_ASYNC_LOADING | ADMIN | NO_MULTI | NOSCRIPT, S, sync).doc(
        "1.0.0",
        "",
        "An internal command used by replicas to synchronize with their master.",
    ),
    Command::new("psync", -3, NO_ASYNC_LOADING | ADMIN | NO_MULTI | NOSCRIPT, S, sync).doc(
        "2.8.0",
        "",
        "An internal command used by replicas to resynchronize with their master.",
    ),
    Command::new(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        S,
        replconf,
    )
    .doc(
        "3.0.0",
        "O(1)",
        "An internal command replicas use to set up and report on the replication link.",
    ),
    Command::new("wait", 3, NOSCRIPT, Group::Generic, wait)
        .acl(acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .doc(
            "3.0.0",
            "O(1)",
            "Blocks until the writes of this connection reach the given number of replicas.",
        ),
];

/// `SYNC` / `PSYNC replicationid offset`: makes the client a replica,
/// with a partial resync from the backlog when possible.
fn sync(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    master::sync(ctx.keyspace, ctx.server, ctx.client, reply, args);
}

/// `REPLCONF option value [option value ...]`.
fn replconf(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    master::replconf(ctx.server, ctx.client, reply, args);
}

/// `WAIT numreplicas timeout` (timeout in milliseconds, 0 = forever).
fn wait(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(replicas) = super::parse::integer(args.get(1), reply) else {
        return;
    };
    let Some(timeout) = core::str::from_utf8(args.get(2))
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
    else {
        reply.error(b"ERR timeout is not an integer or out of range");
        return;
    };
    if timeout < 0 {
        reply.error(errors::TIMEOUT_NEGATIVE);
        return;
    }
    let deadline = if timeout > 0 {
        ctx.now_ms().saturating_add(timeout)
    } else {
        0
    };
    master::wait(ctx.server, ctx.client, reply, replicas, deadline);
}
