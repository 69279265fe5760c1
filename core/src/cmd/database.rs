//! Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB (Redis
//! 7.0's `db.c`). Emptying or swapping a database changes every key in it
//! at once, so watchers of those keys are told first, and clients blocked
//! on keys that SWAPDB brings in are served.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, Command, Group};
use super::Ctx;
use crate::engine::{blocking, watch};
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const S: Group = Group::Server;
const FLUSH_TIPS: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

/// DBSIZE, FLUSHDB, FLUSHALL, SWAPDB.
pub static COMMANDS: &[Command] = &[
    Command::new("dbsize", 1, READONLY | FAST, S, dbsize)
        .acl(acl::KEYSPACE)
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .doc("1.0.0", "O(1)", "Returns the number of keys in the database."),
    Command::new("flushdb", -1, WRITE, S, flushdb)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(FLUSH_TIPS)
        .doc(
            "1.0.0",
            "O(N) where N is the number of keys in the selected database",
            "Removes all keys from the current database.",
        ),
    Command::new("flushall", -1, WRITE, S, flushall)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(FLUSH_TIPS)
        .doc(
            "1.0.0",
            "O(N) where N is the total number of keys in all databases",
            "Removes all keys from all databases.",
        ),
    Command::new("swapdb", 3, WRITE | FAST, S, swapdb)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc(
            "4.0.0",
            "O(N) where N is the count of clients watching or blocking on keys from both databases.",
            "Swaps two Redis databases.",
        ),
];

/// `DBSIZE`: keys in the selected database, expired ones not yet deleted
/// included, as Redis counts them.
fn dbsize(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.integer(ctx.keyspace.db_ref(ctx.client.db).len() as i64);
}

/// The optional `ASYNC|SYNC` of FLUSHDB and FLUSHALL
/// (`getFlushCommandFlags`). Either way the memory is released before the
/// reply; the flag only chose Redis's freeing thread, not what clients see.
fn check_flush_mode(args: Args<'_>, reply: &mut Reply) -> bool {
    let valid = args.len() == 1 || (args.len() == 2 && (is(args.get(1), "sync") || is(args.get(1), "async")));
    if !valid {
        reply.error(errors::SYNTAX);
    }
    valid
}

/// Empties database `index`, telling the watchers of its keys first.
fn flush(ctx: &mut Ctx<'_>, index: usize) {
    watch::touch_all_in_db(ctx.server, ctx.keyspace, ctx.client, index, None);
    let removed = ctx.keyspace.flush_db(index);
    ctx.dirty(removed as u64);
}

/// `FLUSHDB [ASYNC|SYNC]`: propagated even when the database was empty.
fn flushdb(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if !check_flush_mode(args, reply) {
        return;
    }
    flush(ctx, ctx.client.db);
    ctx.force_propagation();
    reply.ok();
}

/// `FLUSHALL [ASYNC|SYNC]`
fn flushall(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if !check_flush_mode(args, reply) {
        return;
    }
    for index in 0..ctx.keyspace.db_count() {
        flush(ctx, index);
    }
    ctx.force_propagation();
    reply.ok();
}

/// `SWAPDB index1 index2`: clients stay in their database numbers and see
/// the other's keys.
fn swapdb(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let range = (i32::MIN as i64, i32::MAX as i64);
    let Some(a) = parse::integer_in_range(
        args.get(1),
        range.0,
        range.1,
        Some(b"ERR invalid first DB index"),
        reply,
    ) else {
        return;
    };
    let Some(b) = parse::integer_in_range(
        args.get(2),
        range.0,
        range.1,
        Some(b"ERR invalid second DB index"),
        reply,
    ) else {
        return;
    };
    let count = ctx.keyspace.db_count() as i64;
    if !(0..count).contains(&a) || !(0..count).contains(&b) {
        return reply.error(errors::DB_INDEX_OUT_OF_RANGE);
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        watch::touch_all_in_db(ctx.server, ctx.keyspace, ctx.client, a, Some(b));
        watch::touch_all_in_db(ctx.server, ctx.keyspace, ctx.client, b, Some(a));
        ctx.keyspace.swap_dbs(a, b);
        blocking::mark_db_ready(ctx.server, ctx.keyspace, a);
        blocking::mark_db_ready(ctx.server, ctx.keyspace, b);
    }
    ctx.dirty(1);
    reply.ok();
}
