//! Hash commands: setting and reading fields, counters in fields, whole-hash
//! replies, random fields and HSCAN. Semantics, replies and propagation as
//! Redis 7.0's `t_hash.c`; the value type and its two encodings live in
//! [`crate::keyspace::hash`].
//!
//! Small hashes are listpacks and answer in insertion order, as Redis's do;
//! big ones are tables and answer in table order. HGETALL is a map (`%` in
//! RESP3), HRANDFIELD WITHVALUES a flat array in RESP2 and an array of
//! pairs in RESP3. HINCRBYFLOAT computes in x87 long double and is
//! propagated as `HSET key field result`.

use super::errors;
use super::parse::{self, is};
use super::random;
use super::scan::{self, ScanOptions};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::{remove_members, typed, typed_mut, Ctx};
use crate::keyspace::hash::Hash;
use crate::keyspace::{CompactBytes, DbMut, Value};
use crate::resp::reply::Reply;
use crate::resp::request::{Args, OwnedArgs};
use crate::util::number::{parse_i64, LongDouble};
use alloc::boxed::Box;
use alloc::vec::Vec;

const H: Group = Group::Hash;
const HA: u64 = acl::HASH;
const READ_ACCESS: &[KeySpec] = &[KeySpec::one(1, RO | ACCESS)];
const READ_ONLY: &[KeySpec] = &[KeySpec::one(1, RO)];
const UPDATE_KEYS: &[KeySpec] = &[KeySpec::one(1, RW | UPDATE)];
const INCREMENT_KEYS: &[KeySpec] = &[KeySpec::one(1, RW | ACCESS | UPDATE)];
const ORDER_TIPS: &[&str] = &["nondeterministic_output_order"];
const RANDOM_TIPS: &[&str] = &["nondeterministic_output"];

/// The hash commands.
pub static COMMANDS: &[Command] = &[
    Command::new("hdel", -3, WRITE | FAST, H, hdel)
        .acl(HA)
        .keys(&[KeySpec::one(1, RW | DELETE)])
        .doc(
            "2.0.0",
            "O(N) in the number of fields given.",
            "Removes fields from a hash; the key goes when its last field does.",
        ),
    Command::new("hexists", 3, READONLY | FAST, H, hexists)
        .acl(HA)
        .keys(READ_ONLY)
        .doc("2.0.0", "O(1)", "Tells whether a hash has a field."),
    Command::new("hget", 3, READONLY | FAST, H, hget)
        .acl(HA)
        .keys(READ_ACCESS)
        .doc("2.0.0", "O(1)", "Reads the value of one field of a hash."),
    Command::new("hgetall", 2, READONLY, H, hgetall)
        .acl(HA)
        .keys(READ_ACCESS)
        .tips(ORDER_TIPS)
        .doc(
            "2.0.0",
            "O(N) in the size of the hash.",
            "Reads every field of a hash with its value.",
        ),
    Command::new("hincrby", 4, WRITE | DENYOOM | FAST, H, hincrby)
        .acl(HA)
        .keys(INCREMENT_KEYS)
        .doc(
            "2.0.0",
            "O(1)",
            "Adds an integer to the integer in a hash field, starting from 0 when the field or key is missing.",
        ),
    Command::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, H, hincrbyfloat)
        .acl(HA)
        .keys(INCREMENT_KEYS)
        .doc(
            "2.6.0",
            "O(1)",
            "Adds a decimal number to the number in a hash field, starting from 0 when the field or key is missing.",
        ),
    Command::new("hkeys", 2, READONLY, H, hkeys)
        .acl(HA)
        .keys(READ_ACCESS)
        .tips(ORDER_TIPS)
        .doc("2.0.0", "O(N) in the size of the hash.", "Lists the fields of a hash."),
    Command::new("hlen", 2, READONLY | FAST, H, hlen)
        .acl(HA)
        .keys(READ_ONLY)
        .doc("2.0.0", "O(1)", "Counts the fields of a hash."),
    Command::new("hmget", -3, READONLY | FAST, H, hmget)
        .acl(HA)
        .keys(READ_ACCESS)
        .doc(
            "2.0.0",
            "O(N) in the number of fields asked for.",
            "Reads the values of several fields of a hash.",
        ),
    Command::new("hmset", -4, WRITE | DENYOOM | FAST, H, hmset)
        .acl(HA)
        .keys(UPDATE_KEYS)
        .doc(
            "2.0.0",
            "O(N) in the number of fields given.",
            "Sets several fields of a hash, answering OK.",
        )
        .deprecated("4.0.0", "`HSET` with multiple field-value pairs"),
    Command::new("hrandfield", -2, READONLY, H, hrandfield)
        .acl(HA)
        .keys(READ_ACCESS)
        .tips(RANDOM_TIPS)
        .doc(
            "6.2.0",
            "O(N) in the number of fields returned.",
            "Picks random fields of a hash, optionally with their values.",
        ),
    Command::new("hscan", -3, READONLY, H, hscan)
        .acl(HA)
        .keys(READ_ACCESS)
        .tips(RANDOM_TIPS)
        .doc(
            "2.8.0",
            "O(1) per call, O(N) for a whole iteration over N fields.",
            "Walks the fields and values of a hash with a cursor.",
        ),
    Command::new("hset", -4, WRITE | DENYOOM | FAST, H, hset)
        .acl(HA)
        .keys(UPDATE_KEYS)
        .doc(
            "2.0.0",
            "O(1) per field given.",
            "Sets fields of a hash, creating the key if needed, and counts the new fields.",
        ),
    Command::new("hsetnx", 4, WRITE | DENYOOM | FAST, H, hsetnx)
        .acl(HA)
        .keys(&[KeySpec::one(1, RW | INSERT)])
        .doc(
            "2.0.0",
            "O(1)",
            "Sets a hash field only when the field does not exist yet.",
        ),
    Command::new("hstrlen", 3, READONLY | FAST, H, hstrlen)
        .acl(HA)
        .keys(READ_ONLY)
        .doc("3.2.0", "O(1)", "Gives the length of the value of a hash field."),
    Command::new("hvals", 2, READONLY, H, hvals)
        .acl(HA)
        .keys(READ_ACCESS)
        .tips(ORDER_TIPS)
        .doc("2.0.0", "O(N) in the size of the hash.", "Lists the values of a hash."),
];

// ---------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------

/// The hash under `key` for reading (`lookupKeyRead` + `checkType`):
/// `Ok(None)` when absent, `Err(())` after a WRONGTYPE reply.
fn read_hash<'a>(db: &'a mut DbMut<'_>, key: &[u8], reply: &mut Reply) -> Result<Option<&'a Hash>, ()> {
    typed(db.get_value(key), reply)
}

/// Runs `change` on the hash under `key`, an empty one when the key is
/// absent (`hashTypeLookupWriteOrCreate`), and stores or signals the result.
/// `change` answers `None` when it changed nothing (its reply written);
/// `None` too after a WRONGTYPE reply.
fn change_hash<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    reply: &mut Reply,
    change: impl FnOnce(&mut Hash, &mut Reply) -> Option<R>,
) -> Option<R> {
    let mut db = ctx.db();
    match typed_mut::<Hash>(db.get_value_mut(key), reply).ok()? {
        None => {
            let mut hash = Hash::default();
            let result = change(&mut hash, reply)?;
            if !hash.is_empty() {
                db.add(key, Value::Hash(Box::new(hash)));
            }
            Some(result)
        }
        Some(hash) => {
            let result = change(hash, reply)?;
            db.signal_modified(key);
            Some(result)
        }
    }
}

// ---------------------------------------------------------------------------
// Setting and deleting fields
// ---------------------------------------------------------------------------

/// HSET and HMSET (`hsetCommand`): every pair is set; the dirty count is
/// the number of pairs, changed or not.
fn hset_generic(ctx: &mut Ctx<'_>, args: Args<'_>, hmset: bool, reply: &mut Reply) {
    if !args.len().is_multiple_of(2) {
        reply.error_parts(&[
            b"ERR wrong number of arguments for '",
            if hmset { b"hmset" } else { b"hset" },
            b"' command",
        ]);
        return;
    }
    let limits = ctx.config().hot().hash_listpack;
    let created = change_hash(ctx, args.get(1), reply, |hash, _| {
        hash.prepare_for(args.iter().skip(2).map(<[u8]>::len), &limits);
        let mut created = 0;
        for pair in (2..args.len()).step_by(2) {
            if let (Some(field), Some(value)) = (args.try_get(pair), args.try_get(pair + 1)) {
                created += hash.set(field, value, &limits) as i64;
            }
        }
        Some(created)
    });
    let Some(created) = created else {
        return;
    };
    ctx.dirty((args.len() as u64 - 2) / 2);
    if hmset {
        reply.ok();
    } else {
        reply.integer(created);
    }
}

/// `HSET key field value [field value ...]`
fn hset(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    hset_generic(ctx, args, false, reply);
}

/// `HMSET key field value [field value ...]`
fn hmset(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    hset_generic(ctx, args, true, reply);
}

/// `HSETNX key field value`
fn hsetnx(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let (field, value) = (args.get(2), args.get(3));
    let limits = ctx.config().hot().hash_listpack;
    let set = change_hash(ctx, args.get(1), reply, |hash, reply| {
        if hash.contains(field) {
            reply.integer(0);
            return None;
        }
        hash.prepare_for([field.len(), value.len()].into_iter(), &limits);
        hash.set(field, value, &limits);
        Some(())
    });
    if set.is_some() {
        ctx.dirty(1);
        reply.integer(1);
    }
}

/// `HDEL key field [field ...]`
fn hdel(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    remove_members::<Hash>(ctx, args, reply);
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

/// `HINCRBY key field increment`
fn hincrby(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(increment) = parse::integer(args.get(3), reply) else {
        return;
    };
    let field = args.get(2);
    let limits = ctx.config().hot().hash_listpack;
    let result = change_hash(ctx, args.get(1), reply, |hash, reply| {
        let current = match hash.get(field) {
            None => 0,
            Some(value) => match parse_i64(value) {
                Some(current) => current,
                None => {
                    reply.error(b"ERR hash value is not an integer");
                    return None;
                }
            },
        };
        let Some(updated) = current.checked_add(increment) else {
            reply.error(errors::OVERFLOW);
            return None;
        };
        hash.set(field, itoa::Buffer::new().format(updated).as_bytes(), &limits);
        Some(updated)
    });
    if let Some(updated) = result {
        ctx.dirty(1);
        reply.integer(updated);
    }
}

/// `HINCRBYFLOAT key field increment`: computed in x87 long double,
/// replicated as `HSET key field result`.
fn hincrbyfloat(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(increment) = LongDouble::parse(args.get(3)) else {
        return reply.error(errors::NOT_FLOAT);
    };
    if !increment.is_finite() {
        return reply.error(b"ERR value is NaN or Infinity");
    }
    let (key, field) = (args.get(1), args.get(2));
    let limits = ctx.config().hot().hash_listpack;
    let result = change_hash(ctx, key, reply, |hash, reply| {
        let current = match hash.get(field) {
            None => LongDouble::from_i64(0),
            Some(value) => match LongDouble::parse(value) {
                Some(current) => current,
                None => {
                    reply.error(b"ERR hash value is not a float");
                    return None;
                }
            },
        };
        let updated = current.plus(increment);
        if !updated.is_finite() {
            reply.error(b"ERR increment would produce NaN or Infinity");
            return None;
        }
        let text = updated.to_human_vec();
        hash.set(field, &text, &limits);
        Some(text)
    });
    let Some(text) = result else {
        return;
    };
    ctx.dirty(1);
    reply.bulk(&text);
    ctx.propagate_as(OwnedArgs::from_slices([&b"HSET"[..], key, field, &text]));
}

// ---------------------------------------------------------------------------
// Reading fields
// ---------------------------------------------------------------------------

/// `HGET key field`
fn hget(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    match read_hash(&mut db, args.get(1), reply) {
        Ok(Some(hash)) => match hash.get(args.get(2)) {
            Some(value) => reply.bulk(value),
            None => reply.null(),
        },
        Ok(None) => reply.null(),
        Err(()) => {}
    }
}

/// `HMGET key field [field ...]`: a missing key answers nulls.
fn hmget(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let Ok(hash) = read_hash(&mut db, args.get(1), reply) else {
        return;
    };
    reply.array(args.len() - 2);
    for field in args.iter().skip(2) {
        match hash.and_then(|hash| hash.get(field)) {
            Some(value) => reply.bulk(value),
            None => reply.null(),
        }
    }
}

/// `HLEN key`
fn hlen(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    if let Ok(hash) = read_hash(&mut db, args.get(1), reply) {
        reply.integer(hash.map_or(0, Hash::len) as i64);
    }
}

/// `HSTRLEN key field`
fn hstrlen(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    if let Ok(hash) = read_hash(&mut db, args.get(1), reply) {
        let len = hash
            .and_then(|hash| hash.get(args.get(2)))
            .map_or(0, |value| value.len());
        reply.integer(len as i64);
    }
}

/// `HEXISTS key field`
fn hexists(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    if let Ok(hash) = read_hash(&mut db, args.get(1), reply) {
        reply.integer(hash.is_some_and(|hash| hash.contains(args.get(2))) as i64);
    }
}

/// What HKEYS, HVALS and HGETALL return of each pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

/// HKEYS, HVALS, HGETALL (`genericHgetallCommand`): fields and values
/// together make a map, one of them a flat array.
fn hgetall_generic(ctx: &mut Ctx<'_>, args: Args<'_>, parts: Parts, reply: &mut Reply) {
    let mut db = ctx.db();
    let hash = match read_hash(&mut db, args.get(1), reply) {
        Ok(Some(hash)) => hash,
        Ok(None) if parts == Parts::Both => return reply.map(0),
        Ok(None) => return reply.empty_array(),
        Err(()) => return,
    };
    match parts {
        Parts::Both => reply.map(hash.len()),
        _ => reply.array(hash.len()),
    }
    for (field, value) in hash.iter() {
        if parts != Parts::Values {
            reply.bulk(field);
        }
        if parts != Parts::Fields {
            reply.bulk(value);
        }
    }
}

/// `HKEYS key`
fn hkeys(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    hgetall_generic(ctx, args, Parts::Fields, reply);
}

/// `HVALS key`
fn hvals(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    hgetall_generic(ctx, args, Parts::Values, reply);
}

/// `HGETALL key`
fn hgetall(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    hgetall_generic(ctx, args, Parts::Both, reply);
}

// ---------------------------------------------------------------------------
// Random fields, scans
// ---------------------------------------------------------------------------

/// `HRANDFIELD key [count [WITHVALUES]]`
fn hrandfield(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() >= 3 {
        let Some(count) = parse::integer_in_range(args.get(2), -i64::MAX, i64::MAX, None, reply) else {
            return;
        };
        let with_values = args.len() == 4;
        if args.len() > 4 || (with_values && !is(args.get(3), "withvalues")) {
            return reply.error(errors::SYNTAX);
        }
        if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return reply.error(b"ERR value is out of range");
        }
        return hrandfield_with_count(ctx, args.get(1), count, with_values, reply);
    }
    let Ctx {
        keyspace,
        server,
        client,
        ..
    } = ctx;
    let mut db = keyspace.db(client.db);
    match read_hash(&mut db, args.get(1), reply) {
        Ok(Some(hash)) => match hash.random(&mut server.rng) {
            Some((field, _)) => reply.bulk(field),
            None => reply.null(),
        },
        Ok(None) => reply.null(),
        Err(()) => {}
    }
}

/// One field of an HRANDFIELD reply: `[field, value]` in RESP3 with values.
fn random_pair(reply: &mut Reply, field: &[u8], value: &[u8], with_values: bool) {
    if with_values && reply.is_resp3() {
        reply.array(2);
    }
    reply.bulk(field);
    if with_values {
        reply.bulk(value);
    }
}

/// HRANDFIELD with a count (`hrandfieldWithCountCommand`).
fn hrandfield_with_count(ctx: &mut Ctx<'_>, key: &[u8], count: i64, with_values: bool, reply: &mut Reply) {
    let Ctx {
        keyspace,
        server,
        client,
        ..
    } = ctx;
    let mut db = keyspace.db(client.db);
    let hash = match read_hash(&mut db, key, reply) {
        Ok(Some(hash)) => hash,
        Ok(None) => return reply.empty_array(),
        Err(()) => return,
    };
    let header = |reply: &mut Reply, n: usize| {
        let flat = with_values && !reply.is_resp3();
        reply.array(if flat { n * 2 } else { n });
    };
    let emit = |reply: &mut Reply, (field, value): (&CompactBytes, &CompactBytes)| {
        random_pair(reply, field, value, with_values)
    };
    random::draw(&hash, count, &mut server.rng, client, reply, header, emit);
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`
fn hscan(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(cursor) = scan::parse_cursor(args.get(2), reply) else {
        return;
    };
    let mut db = ctx.db();
    let hash = match read_hash(&mut db, args.get(1), reply) {
        Ok(Some(hash)) => hash,
        Ok(None) => return scan::reply_empty(reply),
        Err(()) => return,
    };
    let Some(options) = ScanOptions::parse(args, 3, false, reply) else {
        return;
    };
    let (next, mut found) = match hash {
        // Small hashes answer everything at once, with cursor 0.
        Hash::Listpack(pairs) => (0, pairs.clone()),
        Hash::Table(table) => scan::walk(cursor, options.count, 2, |cursor, items: &mut Vec<_>| {
            table.scan(cursor, |field, value| items.push((field.clone(), value.clone())))
        }),
    };
    found.retain(|(field, _)| options.matches(field));
    scan::reply_header(reply, next, found.len() * 2);
    for (field, value) in &found {
        reply.bulk(field);
        reply.bulk(value);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{engine_with_client, propagated, send, send_args};
    use crate::engine::{ClientHandle, Engine};
    use alloc::string::String;
    use alloc::vec::Vec;
    use std::collections::HashSet;
    use std::vec;

    fn engine() -> (Engine, ClientHandle) {
        let (mut engine, client) = engine_with_client();
        engine.record_propagation(true);
        (engine, client)
    }

    fn call(engine: &mut Engine, client: ClientHandle, args: &[&str]) -> Vec<u8> {
        send_args(engine, client, args)
    }

    fn line(engine: &mut Engine, client: ClientHandle, text: &str) -> Vec<u8> {
        send(engine, client, text)
    }

    fn encoding(engine: &Engine, key: &str) -> &'static str {
        engine
            .keyspace()
            .db_ref(0)
            .peek(key.as_bytes())
            .map_or("none", |entry| entry.value.encoding_name())
    }

    /// The bulk strings of a flat reply, in order.
    fn bulks(reply: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(reply).into_owned();
        let mut lines = text.split("\r\n");
        let mut out = Vec::new();
        while let Some(line) = lines.next() {
            if line.starts_with('$') && line != "$-1" {
                out.push(lines.next().unwrap_or_default().into());
            }
        }
        out
    }

    #[test]
    fn float_increments_propagate_as_hset_and_no_ops_not_at_all() {
        let (mut engine, client) = engine();
        line(&mut engine, client, "HSET h a 1 b x");
        assert_eq!(line(&mut engine, client, "HINCRBYFLOAT h a 0.5"), b"$3\r\n1.5\r\n");
        assert_eq!(line(&mut engine, client, "HINCRBYFLOAT h n 3.0e0"), b"$1\r\n3\r\n");
        line(&mut engine, client, "HINCRBYFLOAT h b 1");
        line(&mut engine, client, "HINCRBY h a 1");
        line(&mut engine, client, "HINCRBY h n 2");
        line(&mut engine, client, "HSETNX h a 9");
        line(&mut engine, client, "HSETNX h c 9");
        line(&mut engine, client, "HDEL h nothing");
        line(&mut engine, client, "HDEL missing a");
        line(&mut engine, client, "HSET h a 1");
        line(&mut engine, client, "HMSET h a 1");
        line(&mut engine, client, "HSET h a 1 b");
        line(&mut engine, client, "HDEL h a b c n z");
        assert_eq!(
            propagated(&mut engine),
            vec![
                "HSET h a 1 b x",
                "HSET h a 1.5",
                "HSET h n 3",
                "HINCRBY h n 2",
                "HSETNX h c 9",
                "HSET h a 1",
                "HMSET h a 1",
                "HDEL h a b c n z",
            ]
        );
        assert_eq!(line(&mut engine, client, "EXISTS h"), b":0\r\n");
    }

    #[test]
    fn listpacks_convert_at_the_configured_limits() {
        let (mut engine, client) = engine();
        // 512 fields stay a listpack, the 513th converts.
        let mut args = vec![String::from("HSET"), String::from("big")];
        for i in 0..512 {
            args.push(alloc::format!("f{i}"));
            args.push(alloc::format!("{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(call(&mut engine, client, &refs), b":512\r\n");
        assert_eq!(encoding(&engine, "big"), "listpack");
        let keys = bulks(&line(&mut engine, client, "HKEYS big"));
        assert_eq!(keys.first().map(String::as_str), Some("f0"));
        assert_eq!(keys.last().map(String::as_str), Some("f511"));
        line(&mut engine, client, "HSET big f0 updated");
        assert_eq!(encoding(&engine, "big"), "listpack");
        line(&mut engine, client, "HSET big f512 x");
        assert_eq!(encoding(&engine, "big"), "hashtable");
        // Never back, not even nearly empty.
        let mut del = vec!["HDEL", "big"];
        let fields: Vec<String> = (0..512).map(|i| alloc::format!("f{i}")).collect();
        del.extend(fields.iter().map(String::as_str));
        assert_eq!(call(&mut engine, client, &del), b":512\r\n");
        assert_eq!(encoding(&engine, "big"), "hashtable");

        // 64 bytes stay, 65 convert, for fields and values alike.
        let b64 = "x".repeat(64);
        let b65 = "x".repeat(65);
        call(&mut engine, client, &["HSET", "v64", "f", &b64]);
        call(&mut engine, client, &["HSET", "v64", &b64, "v"]);
        assert_eq!(encoding(&engine, "v64"), "listpack");
        call(&mut engine, client, &["HSET", "v65", "f", &b65]);
        assert_eq!(encoding(&engine, "v65"), "hashtable");
        call(&mut engine, client, &["HSETNX", "f65", &b65, "v"]);
        assert_eq!(encoding(&engine, "f65"), "hashtable");
        // A long argument converts before any pair is set.
        call(&mut engine, client, &["HSET", "first", "a", "1", "b", &b65]);
        assert_eq!(encoding(&engine, "first"), "hashtable");

        // Counters convert on the field or the result's length.
        line(&mut engine, client, "CONFIG SET hash-max-listpack-value 3");
        line(&mut engine, client, "HINCRBY c a 999");
        assert_eq!(encoding(&engine, "c"), "listpack");
        line(&mut engine, client, "HINCRBY c a 1");
        assert_eq!(encoding(&engine, "c"), "hashtable");
        line(&mut engine, client, "HINCRBYFLOAT cf abcd 1");
        assert_eq!(encoding(&engine, "cf"), "hashtable");
        line(&mut engine, client, "HINCRBYFLOAT cg a 1.5");
        assert_eq!(encoding(&engine, "cg"), "listpack");
        line(&mut engine, client, "HINCRBYFLOAT cg a 0.25");
        assert_eq!(encoding(&engine, "cg"), "hashtable");

        line(&mut engine, client, "CONFIG SET hash-max-listpack-entries 2");
        line(&mut engine, client, "HSET few a 1 b 2");
        assert_eq!(encoding(&engine, "few"), "listpack");
        line(&mut engine, client, "HINCRBY few c 1");
        assert_eq!(encoding(&engine, "few"), "hashtable");
    }

    #[test]
    fn random_fields_are_distinct_and_paired_with_their_values() {
        let (mut engine, client) = engine();
        line(&mut engine, client, "CONFIG SET hash-max-listpack-entries 16");
        let mut args = vec![String::from("HSET"), String::from("small")];
        for i in 0..16 {
            args.push(alloc::format!("f{i}"));
            args.push(alloc::format!("v{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        call(&mut engine, client, &refs);
        args[1] = String::from("large");
        args.push(String::from("f16"));
        args.push(String::from("v16"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        call(&mut engine, client, &refs);
        assert_eq!(encoding(&engine, "small"), "listpack");
        assert_eq!(encoding(&engine, "large"), "hashtable");
        for key in ["small", "large"] {
            // Case 4 (few), case 3 (most), case 2 (all), case 1 (repeats).
            for count in [1, 3, 5, 6, 12, 15, 16, 17, 100] {
                let reply = line(
                    &mut engine,
                    client,
                    &alloc::format!("HRANDFIELD {key} {count} WITHVALUES"),
                );
                let items = bulks(&reply);
                let size = if key == "small" { 16 } else { 17 };
                assert_eq!(items.len(), 2 * count.min(size), "{key} {count}");
                let mut seen = HashSet::new();
                for pair in items.chunks(2) {
                    assert_eq!(pair[1], alloc::format!("v{}", &pair[0][1..]));
                    assert!(seen.insert(pair[0].clone()), "{key} {count}: repeated {}", pair[0]);
                }
            }
            let items = bulks(&line(&mut engine, client, &alloc::format!("HRANDFIELD {key} -40")));
            assert_eq!(items.len(), 40);
            let single = bulks(&line(&mut engine, client, &alloc::format!("HRANDFIELD {key}")));
            assert_eq!(single.len(), 1);
        }
    }

    #[test]
    fn hscan_visits_every_field_of_a_table() {
        let (mut engine, client) = engine();
        let mut args = vec![String::from("HSET"), String::from("t")];
        for i in 0..600 {
            args.push(alloc::format!("field:{i}"));
            args.push(alloc::format!("{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        call(&mut engine, client, &refs);
        assert_eq!(encoding(&engine, "t"), "hashtable");
        for (options, expected) in [("COUNT 1", 600), ("COUNT 37", 600), ("MATCH field:1?", 10)] {
            let mut cursor = String::from("0");
            let mut fields = HashSet::new();
            let mut calls = 0;
            loop {
                let reply = line(&mut engine, client, &alloc::format!("HSCAN t {cursor} {options}"));
                let items = bulks(&reply);
                cursor = items[0].clone();
                for pair in items[1..].chunks(2) {
                    assert_eq!(pair[0], alloc::format!("field:{}", pair[1]));
                    fields.insert(pair[0].clone());
                }
                calls += 1;
                if cursor == "0" {
                    break;
                }
            }
            assert_eq!(fields.len(), expected, "{options}");
            assert!(calls > 1, "{options}: a table is scanned in steps");
        }
    }
}
