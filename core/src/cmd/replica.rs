//! The replica's commands: `REPLICAOF`/`SLAVEOF` and `ROLE` (Redis's
//! `replication.c`). The role itself lives in [`crate::engine::replica`].

use super::spec::{acl, flag::*, Command, Group};
use super::{parse, Ctx};
use crate::engine::process::client_info_line;
use crate::engine::replica;
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const S: Group = Group::Server;

/// The replica commands.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "replicaof",
        3,
        NO_ASYNC_LOADING | ADMIN | NOSCRIPT | STALE,
        S,
        replicaof,
    )
    .doc(
        "5.0.0",
        "O(1)",
        "Makes the server a replica of another server, or a master again.",
    ),
    Command::new("slaveof", 3, NO_ASYNC_LOADING | ADMIN | NOSCRIPT | STALE, S, replicaof)
        .deprecated("5.0.0", "`REPLICAOF`")
        .doc(
            "1.0.0",
            "O(1)",
            "Makes the server a replica of another server, or a master again.",
        ),
    Command::new("role", 1, NOSCRIPT | LOADING | STALE | FAST, S, role)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc("2.8.12", "O(1)", "Returns the role of the server in replication."),
];

/// `REPLICAOF host port` / `REPLICAOF NO ONE` (also `SLAVEOF`).
fn replicaof(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let requester = client_info_line(ctx.client, 0, 0);
    if parse::is(args.get(1), "no") && parse::is(args.get(2), "one") {
        replica::unset_master(ctx.keyspace, ctx.server, &requester);
        return reply.ok();
    }
    let Some(port) = parse::integer_in_range(args.get(2), 0, 65535, Some(b"ERR Invalid master port"), reply) else {
        return;
    };
    if replica::set_master(ctx.keyspace, ctx.server, args.get(1), port as u16, &requester) {
        reply.ok();
    } else {
        reply.raw(b"+OK Already connected to specified master\r\n");
    }
}

/// `ROLE`: `master`, offset and online replicas; or `slave`, the
/// master's host and port, the link state and the applied offset.
fn role(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    if replica::role_reply(ctx.server, reply) {
        return;
    }
    reply.array(3);
    reply.bulk(b"master");
    reply.integer(ctx.server.replication.offset());
    // The online replicas ([ip, port, acked offset] each) come from the
    // master side.
    reply.empty_array();
}
