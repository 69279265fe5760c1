//! Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB (Redis
//! 7.0's `db.c`). Emptying or swapping a database changes every key in it
//! at once, so watchers of those keys are told first, and clients blocked
//! on keys that SWAPDB brings in are served.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, Command, Group};
use super::Ctx;
use crate::config::Id;
use crate::engine::{blocking, persistence, watch};
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
/// (`getFlushCommandFlags`): whether the keys are freed lazily, after the
/// reply (`ASYNC`, or no flag and `lazyfree-lazy-user-flush yes`). Clients
/// see an empty database either way.
fn flush_mode(ctx: &Ctx<'_>, args: Args<'_>, reply: &mut Reply) -> Option<bool> {
    match args.len() {
        1 => Some(ctx.config().bool(Id::LazyfreeLazyUserFlush)),
        2 if is(args.get(1), "sync") => Some(false),
        2 if is(args.get(1), "async") => Some(true),
        _ => {
            reply.error(errors::SYNTAX);
            None
        }
    }
}

/// Empties database `index`, telling the watchers of its keys first.
fn flush(ctx: &mut Ctx<'_>, index: usize, lazy: bool) {
    watch::touch_all_in_db(ctx.server, ctx.keyspace, ctx.client, index, None);
    let removed = ctx.keyspace.flush_db(index, lazy);
    ctx.dirty(removed as u64);
}

/// `FLUSHDB [ASYNC|SYNC]`: propagated even when the database was empty.
fn flushdb(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(lazy) = flush_mode(ctx, args, reply) else {
        return;
    };
    flush(ctx, ctx.client.db, lazy);
    ctx.force_propagation();
    reply.ok();
}

/// `FLUSHALL [ASYNC|SYNC]` (`flushAllDataAndResetRDB`): also stops a
/// background save, and with save points writes the empty dataset at
/// once, so a restart does not bring the keys back; that save zeroes the
/// dirty counter, FLUSHALL's own changes included.
fn flushall(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(lazy) = flush_mode(ctx, args, reply) else {
        return;
    };
    for index in 0..ctx.keyspace.db_count() {
        flush(ctx, index, lazy);
    }
    persistence::kill_background_save(ctx.server);
    if !ctx.config().save_points().is_empty() {
        ctx.server.stats.dirty += ctx.effects.dirty;
        ctx.effects.dirty = 0;
        let _ = persistence::save(ctx.keyspace, ctx.server);
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

#[cfg(test)]
mod tests {
    use crate::engine::tests::{connect, engine_with_client, propagated, send};
    use std::vec;

    #[test]
    fn flushes_propagate_even_when_empty_and_errors_do_not() {
        let (mut engine, _) = engine_with_client();
        engine.record_propagation(true);
        let client = connect(&mut engine);
        assert_eq!(send(&mut engine, client, "FLUSHDB"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "FLUSHALL ASYNC"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "FLUSHDB bogus"), b"-ERR syntax error\r\n");
        assert_eq!(send(&mut engine, client, "SWAPDB 0 0"), b"+OK\r\n");
        assert_eq!(
            send(&mut engine, client, "SWAPDB 0 16"),
            b"-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            send(&mut engine, client, "SWAPDB 0 x"),
            b"-ERR invalid second DB index\r\n"
        );
        assert_eq!(propagated(&mut engine), vec!["FLUSHDB", "FLUSHALL ASYNC", "SWAPDB 0 0"]);
    }

    #[test]
    fn swapdb_moves_keys_with_their_expiries() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET a 1 PX 5000");
        send(&mut engine, client, "SELECT 3");
        send(&mut engine, client, "SET b 2");
        assert_eq!(send(&mut engine, client, "SWAPDB 3 0"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "GET a"), b"$1\r\n1\r\n");
        assert_eq!(send(&mut engine, client, "PTTL a"), b":5000\r\n");
        assert_eq!(send(&mut engine, client, "DBSIZE"), b":1\r\n");
        send(&mut engine, client, "SELECT 0");
        assert_eq!(send(&mut engine, client, "GET b"), b"$1\r\n2\r\n");
        assert_eq!(engine.keyspace().total_keys(), 2);
        assert_eq!(send(&mut engine, client, "FLUSHALL"), b"+OK\r\n");
        assert_eq!(engine.keyspace().total_keys(), 0);
    }
}
