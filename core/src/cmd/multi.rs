//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's `multi.c`).
//! Commands are queued by the dispatcher while the client is in MULTI; EXEC
//! runs them back to back with nothing in between, and their effects are
//! propagated as one MULTI/EXEC block.

use super::errors;
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::Ctx;
use crate::engine::client::client_flag;
use crate::engine::{process, watch};
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const T: Group = Group::Transactions;
const TX: u64 = acl::TRANSACTION;

/// The transaction commands.
pub static COMMANDS: &[Command] = &[
    Command::new("multi", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, multi)
        .acl(TX)
        .doc("1.2.0", "O(1)", "Starts a transaction."),
    Command::new("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, T, exec)
        .acl(TX)
        .doc(
            "1.2.0",
            "Depends on commands in the transaction",
            "Executes all commands in a transaction.",
        ),
    Command::new("discard", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, discard)
        .acl(TX)
        .doc(
            "2.0.0",
            "O(N), when N is the number of queued commands",
            "Discards a transaction.",
        ),
    Command::new("watch", -2, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, watch)
        .acl(TX)
        .keys(&[KeySpec::range(1, -1, 1, 0, RO)])
        .doc(
            "2.2.0",
            "O(1) for every key.",
            "Monitors changes to keys to determine the execution of a transaction.",
        ),
    Command::new("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, unwatch)
        .acl(TX)
        .doc("2.2.0", "O(1)", "Forgets about watched keys of a transaction."),
];

/// `MULTI`
fn multi(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    if ctx.client.has(client_flag::MULTI) {
        reply.error(b"ERR MULTI calls can not be nested");
        return;
    }
    ctx.client.flags |= client_flag::MULTI;
    ctx.client.multi = Some(Default::default());
    reply.ok();
}

/// Ends the transaction state (`discardTransaction`).
fn discard_transaction(ctx: &mut Ctx<'_>) {
    ctx.client.multi = None;
    ctx.client.flags &= !(client_flag::MULTI | client_flag::DIRTY_CAS | client_flag::DIRTY_EXEC);
    watch::unwatch_all(ctx.server, ctx.keyspace, ctx.client);
}

/// `DISCARD`
fn discard(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    if !ctx.client.has(client_flag::MULTI) {
        reply.error(b"ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(ctx);
    reply.ok();
}

/// `EXEC`: runs the queued commands, or answers nil when a watched key
/// changed, or EXECABORT when a command failed to queue.
fn exec(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    if !ctx.client.has(client_flag::MULTI) {
        reply.error(errors::EXEC_WITHOUT_MULTI);
        return;
    }
    if watch::watched_key_expired(ctx.server, ctx.keyspace, ctx.client) {
        ctx.client.flags |= client_flag::DIRTY_CAS;
    }
    if ctx.client.has(client_flag::DIRTY_EXEC) {
        reply.error(errors::EXEC_ABORT);
        discard_transaction(ctx);
        return;
    }
    if ctx.client.has(client_flag::DIRTY_CAS) {
        reply.null_array();
        discard_transaction(ctx);
        return;
    }
    let queued = ctx.client.multi.take().map(|m| m.commands).unwrap_or_default();
    watch::unwatch_all(ctx.server, ctx.keyspace, ctx.client);
    // As in Redis, the client keeps its MULTI flag while the queued
    // commands run, and none of them may block.
    ctx.client.flags |= client_flag::DENY_BLOCKING;
    reply.array(queued.len());
    for (entry, args) in &queued {
        process::call(ctx.keyspace, ctx.server, ctx.client, reply, entry, args.as_args());
    }
    ctx.client.flags &=
        !(client_flag::MULTI | client_flag::DENY_BLOCKING | client_flag::DIRTY_CAS | client_flag::DIRTY_EXEC);
}

/// `WATCH key [key ...]`
fn watch(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if ctx.client.has(client_flag::MULTI) {
        reply.error(b"ERR WATCH inside MULTI is not allowed");
        return;
    }
    // A client already flagged dirty gains nothing from more watches.
    if !ctx.client.has(client_flag::DIRTY_CAS) {
        for key in args.iter().skip(1) {
            watch::watch(ctx.server, ctx.keyspace, ctx.client, key);
        }
    }
    reply.ok();
}

/// `UNWATCH`
fn unwatch(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    watch::unwatch_all(ctx.server, ctx.keyspace, ctx.client);
    ctx.client.flags &= !client_flag::DIRTY_CAS;
    reply.ok();
}
