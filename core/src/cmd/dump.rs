//! DUMP and RESTORE: a key's value as the bytes Redis 7.0 would produce
//! (`createDumpPayload`), and back (`restoreCommand` in `cluster.c`).
//!
//! A payload is the value's RDB type byte and body, then the RDB version
//! (two bytes, little-endian) and a CRC-64 of all that (eight bytes,
//! little-endian); see [`crate::rdb::encoder::dump_payload`]. RESTORE
//! always checks the version and the checksum before it decodes anything,
//! and stores the value in the encoding the running configuration calls
//! for, as Redis's loader converts on load.
//!
//! What RESTORE propagates, as Redis does: a relative TTL becomes absolute
//! (the TTL argument replaced by the deadline, `ABSTTL` appended); a TTL
//! already past on a master creates nothing, and if `REPLACE` deleted a key
//! the command is propagated as `DEL key`, else not at all.

use super::errors;
use super::keys::already_expired;
use super::parse::{self, is};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::Ctx;
use crate::keyspace::{DbMut, Entry};
use crate::rdb::decoder::{decode_payload, PayloadError};
use crate::rdb::encoder::{dump_payload, SaveOptions};
use crate::rdb::LoadOptions;
use crate::resp::reply::Reply;
use crate::resp::request::{Args, OwnedArgs};

const G: Group = Group::Generic;

/// DUMP and RESTORE.
pub static COMMANDS: &[Command] = &[
    Command::new("dump", 2, READONLY, G, dump)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::one(1, RO | ACCESS)])
        .tips(&["nondeterministic_output"])
        .doc(
            "2.6.0",
            "O(1) to find the key, plus O(N*M) to serialize N elements of average size M.",
            "Serializes the value of a key in the format RESTORE reads.",
        ),
    Command::new("restore", -4, WRITE | DENYOOM, G, restore)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .keys(&[KeySpec::one(1, OW | UPDATE)])
        .doc(
            "2.6.0",
            "O(1) to create the key, plus O(N*M) to rebuild N elements of average size M (O(N*M*log(N)) for sorted sets).",
            "Creates a key from a value serialized by DUMP.",
        ),
];

/// `-BUSYKEY` (`shared.busykeyerr`).
const BUSY_KEY: &[u8] = b"BUSYKEY Target key name already exists.";
/// A version newer than ours, or a checksum that does not match.
const BAD_FOOTER: &[u8] = b"ERR DUMP payload version or checksum are wrong";
/// A payload whose value does not decode.
const BAD_DATA: &[u8] = b"ERR Bad data format";

/// `DUMP key`: the serialized value, or null for a missing key. Strings
/// over 20 bytes are LZF-compressed when `rdbcompression` is on, as in an
/// RDB file; the checksum is written whatever `rdbchecksum` says.
fn dump(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let options = SaveOptions::from_config(ctx.config());
    let mut db = ctx.db();
    match db.get_value(args.get(1)) {
        None => reply.null(),
        Some(value) => reply.bulk(&dump_payload(value, &options)),
    }
}

/// RESTORE's options after the serialized value.
#[derive(Debug, Default, PartialEq, Eq)]
struct RestoreOptions {
    /// `REPLACE`: an existing key is deleted first.
    replace: bool,
    /// `ABSTTL`: the TTL is a Unix time in milliseconds.
    absolute_ttl: bool,
    /// `IDLETIME seconds`: the idle time under an LRU (or no) policy.
    idle_seconds: Option<i64>,
    /// `FREQ frequency`: the counter under an LFU policy.
    freq: Option<u8>,
}

/// Parses `args[4..]` as Redis does: IDLETIME and FREQ exclude each other
/// (the second one is a syntax error), and each value is checked as it is
/// met, so an earlier bad value wins over a later unknown word.
fn parse_options(args: Args<'_>, reply: &mut Reply) -> Option<RestoreOptions> {
    let mut options = RestoreOptions::default();
    let mut j = 4;
    while j < args.len() {
        let option = args.get(j);
        let has_value = j + 1 < args.len();
        if is(option, "replace") {
            options.replace = true;
        } else if is(option, "absttl") {
            options.absolute_ttl = true;
        } else if is(option, "idletime") && has_value && options.freq.is_none() {
            let idle = parse::integer(args.get(j + 1), reply)?;
            if idle < 0 {
                reply.error(b"ERR Invalid IDLETIME value, must be >= 0");
                return None;
            }
            options.idle_seconds = Some(idle);
            j += 1;
        } else if is(option, "freq") && has_value && options.idle_seconds.is_none() {
            let freq = parse::integer(args.get(j + 1), reply)?;
            let Ok(freq) = u8::try_from(freq) else {
                reply.error(b"ERR Invalid FREQ value, must be >= 0 and <= 255");
                return None;
            };
            options.freq = Some(freq);
            j += 1;
        } else {
            reply.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    Some(options)
}

/// Deletes `key` whether or not its deadline has passed (`dbDelete`,
/// which RESTORE … REPLACE calls without a lookup first): an expired key
/// counts as deleted rather than as expired.
fn delete_stored(db: &mut DbMut<'_>, key: &[u8]) -> bool {
    let raw = db.raw();
    let Some((key, _)) = raw.entries.remove(key) else {
        return false;
    };
    raw.volatile.remove(&key);
    raw.entries.shrink_if_needed();
    raw.volatile.shrink_if_needed();
    db.signal_modified(&key);
    true
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency]`
///
/// Checks in Redis's order: the options, then whether the key exists
/// (without REPLACE), then the TTL, then the payload's footer, then its
/// value. A TTL of 0 means no expiry.
fn restore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(options) = parse_options(args, reply) else {
        return;
    };
    let key = args.get(1);
    if !options.replace && ctx.db().get_mut(key).is_some() {
        return reply.error(BUSY_KEY);
    }
    let Some(ttl) = parse::integer(args.get(2), reply) else {
        return;
    };
    if ttl < 0 {
        return reply.error(b"ERR Invalid TTL value, must be >= 0");
    }
    let mut load = LoadOptions::from_config(ctx.config());
    load.verify_checksum = true;
    let value = match decode_payload(args.get(3), &load) {
        Ok(value) => value,
        Err(PayloadError::Footer) => return reply.error(BAD_FOOTER),
        Err(PayloadError::Value(_)) => return reply.error(BAD_DATA),
    };
    let mut db = ctx.db();
    let deleted = options.replace && delete_stored(&mut db, key);
    // Redis adds the clock in 64-bit signed arithmetic: a TTL near i64::MAX
    // wraps to a deadline in the past.
    let deadline = match ttl {
        0 => None,
        _ if options.absolute_ttl => Some(ttl),
        _ => Some(ttl.wrapping_add(ctx.now_ms())),
    };
    if deadline.is_some_and(|when| already_expired(ctx, when)) {
        if deleted {
            ctx.propagate_as(OwnedArgs::from_slices([&b"DEL"[..], key]));
            ctx.dirty(1);
        }
        return reply.ok();
    }
    let idle = options.idle_seconds.map(|idle| idle as u64);
    let lru = ctx.keyspace.access().restored(idle, options.freq);
    ctx.db().add_entry(key, Entry { value, lru }, deadline);
    if let (Some(when), false) = (deadline, options.absolute_ttl) {
        let mut propagated = OwnedArgs::with_capacity(args.len() + 1, args.byte_len() + 32);
        for (index, arg) in args.iter().enumerate() {
            if index == 2 {
                propagated.push(itoa::Buffer::new().format(when).as_bytes());
            } else {
                propagated.push(arg);
            }
        }
        propagated.push(b"ABSTTL");
        ctx.propagate_as(propagated);
    }
    ctx.dirty(1);
    reply.ok();
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{engine_with_client, propagated, send, send_args, take_output};
    use crate::engine::{ClientHandle, Engine};
    use crate::keyspace::ExpiryMode;
    use crate::rdb::crc64::crc64;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, vec};

    /// The bulk payload of `DUMP key`.
    fn dump_of(engine: &mut Engine, client: ClientHandle, key: &str) -> Vec<u8> {
        let reply = send_args(engine, client, &["DUMP", key]);
        let header_end = reply.iter().position(|&b| b == b'\n').expect("a bulk header");
        assert_eq!(reply[0], b'$', "{}", String::from_utf8_lossy(&reply));
        reply[header_end + 1..reply.len() - 2].to_vec()
    }

    /// A payload of `body` with an RDB version and a correct checksum.
    fn payload(body: &[u8], version: u16) -> Vec<u8> {
        let mut out = body.to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        let crc = crc64(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn restore(engine: &mut Engine, client: ClientHandle, words: &[&[u8]]) -> Vec<u8> {
        let mut args: Vec<&[u8]> = vec![b"RESTORE"];
        args.extend_from_slice(words);
        send_args(engine, client, &args)
    }

    /// Set-up commands, then the keys to copy with the command reading them.
    type Phase = (&'static [&'static str], &'static [(&'static str, &'static str)]);

    #[test]
    fn every_type_round_trips_through_dump_and_restore() {
        let (mut engine, client) = engine_with_client();
        // Each phase: its set-up, then the keys to copy with how to read them.
        let phases: [Phase; 2] = [
            (
                &[
                    "SET str hello",
                    "SET int -12345",
                    "SET long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                    "RPUSH list a b 1 2 -3",
                    "HSET hash f v g 1",
                    "SADD intset 1 2 70000",
                    "SADD set a b c",
                    "ZADD zset 1 a 2.5 b -0 c",
                ],
                &[
                    ("str", "GET"),
                    ("int", "GET"),
                    ("long", "GET"),
                    ("list", "LRANGE {} 0 -1"),
                    ("hash", "HGETALL"),
                    ("intset", "SMEMBERS"),
                    ("set", "SCARD"),
                    ("zset", "ZRANGE {} 0 -1 WITHSCORES"),
                ],
            ),
            (
                &[
                    "CONFIG SET zset-max-listpack-entries 1",
                    "ZADD skiplist 1 a 2 b 3 c",
                    "CONFIG SET hash-max-listpack-entries 1",
                    "HSET table f v g w",
                ],
                &[("skiplist", "ZRANGE {} 0 -1 WITHSCORES"), ("table", "HLEN")],
            ),
        ];
        for (setups, reads) in phases {
            for setup in setups {
                assert!(!send(&mut engine, client, setup).starts_with(b"-"), "{setup}");
            }
            for (key, read) in reads {
                let bytes = dump_of(&mut engine, client, key);
                let copy = format!("{key}-copy");
                assert_eq!(
                    restore(&mut engine, client, &[copy.as_bytes(), b"0", &bytes]),
                    b"+OK\r\n"
                );
                let read_of = |k: &str| {
                    if read.contains("{}") {
                        read.replace("{}", k)
                    } else {
                        format!("{read} {k}")
                    }
                };
                let original = send(&mut engine, client, &read_of(key));
                assert_eq!(send(&mut engine, client, &read_of(&copy)), original, "{key}");
                assert_eq!(
                    send(&mut engine, client, &format!("OBJECT ENCODING {copy}")),
                    send(&mut engine, client, &format!("OBJECT ENCODING {key}")),
                    "{key}"
                );
                if !matches!(*key, "table" | "set") {
                    // A hash table's order depends on its seed and history.
                    assert_eq!(dump_of(&mut engine, client, &copy), bytes, "{key}");
                }
            }
        }
        assert_eq!(send(&mut engine, client, "DUMP nokey"), b"$-1\r\n");
    }

    #[test]
    fn options_parse_as_in_redis() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET s hello");
        let hello = dump_of(&mut engine, client, "s");
        let cases: [(&[&[u8]], &[u8]); 9] = [
            (&[b"IDLETIME", b"5", b"FREQ", b"1"], b"-ERR syntax error\r\n"),
            (&[b"FREQ", b"1", b"IDLETIME", b"5"], b"-ERR syntax error\r\n"),
            (
                &[b"FREQ", b"256"],
                b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n",
            ),
            (
                &[b"FREQ", b"-1"],
                b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n",
            ),
            (&[b"IDLETIME", b"-1"], b"-ERR Invalid IDLETIME value, must be >= 0\r\n"),
            (
                &[b"IDLETIME", b"x"],
                b"-ERR value is not an integer or out of range\r\n",
            ),
            (&[b"IDLETIME"], b"-ERR syntax error\r\n"),
            (
                &[b"FREQ", b"x", b"BOGUS"],
                b"-ERR value is not an integer or out of range\r\n",
            ),
            (&[b"replace", b"AbsTtl", b"freq", b"3", b"FREQ", b"4"], b"+OK\r\n"),
        ];
        for (options, expected) in cases {
            let mut words: Vec<&[u8]> = vec![b"t", b"0", &hello];
            words.extend_from_slice(options);
            assert_eq!(restore(&mut engine, client, &words), expected, "{options:?}");
        }
    }

    #[test]
    fn relative_ttls_propagate_as_absolute_ones() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET s hello");
        let hello = dump_of(&mut engine, client, "s");
        engine.record_propagation(true);
        let now = 1_700_000_000_000i64;
        restore(&mut engine, client, &[b"a", b"5000", &hello, b"IDLETIME", b"3"]);
        restore(&mut engine, client, &[b"b", b"4102444800000", &hello, b"ABSTTL"]);
        restore(&mut engine, client, &[b"c", b"0", &hello]);
        let text = String::from_utf8_lossy(&hello).into_owned();
        assert_eq!(
            propagated(&mut engine),
            vec![
                format!("RESTORE a {} {text} IDLETIME 3 ABSTTL", now + 5000),
                format!("RESTORE b 4102444800000 {text} ABSTTL"),
                format!("RESTORE c 0 {text}"),
            ]
        );
        assert_eq!(send(&mut engine, client, "PTTL a"), b":5000\r\n");
        assert_eq!(send(&mut engine, client, "PEXPIRETIME b"), b":4102444800000\r\n");
        assert_eq!(send(&mut engine, client, "TTL c"), b":-1\r\n");
    }

    #[test]
    fn a_deadline_already_past_creates_nothing_and_deletes_what_replace_removed() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET s hello");
        let hello = dump_of(&mut engine, client, "s");
        engine.record_propagation(true);
        // Nothing there, nothing replaced: no change, nothing propagated.
        assert_eq!(
            restore(&mut engine, client, &[b"k", b"1", &hello, b"ABSTTL"]),
            b"+OK\r\n"
        );
        assert_eq!(send(&mut engine, client, "EXISTS k"), b":0\r\n");
        // A TTL that wraps past 2^63 once the clock is added is in the past.
        let huge = b"9223372036854775807";
        assert_eq!(restore(&mut engine, client, &[b"k", huge, &hello]), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "EXISTS k"), b":0\r\n");
        assert!(propagated(&mut engine).is_empty());
        // A key replaced by an expired value is deleted: propagated as DEL.
        send(&mut engine, client, "SET k old");
        propagated(&mut engine);
        assert_eq!(
            restore(&mut engine, client, &[b"k", b"1", &hello, b"ABSTTL", b"REPLACE"]),
            b"+OK\r\n"
        );
        assert_eq!(send(&mut engine, client, "EXISTS k"), b":0\r\n");
        assert_eq!(propagated(&mut engine), vec!["DEL k"]);
    }

    #[test]
    fn replace_deletes_a_logically_expired_key_without_expiring_it() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET s hello");
        let hello = dump_of(&mut engine, client, "s");
        // Set at an earlier time, so the key is past its deadline now.
        let earlier = 1_700_000_000_000 - 10_000;
        engine
            .input_buffer(client)
            .expect("client")
            .extend_from_slice(b"SET k old PX 10\r\n");
        engine.process_input(client, earlier);
        take_output(&mut engine, client);
        engine.record_propagation(true);
        let expired_before = engine.keyspace().stats().expired_keys;
        assert_eq!(
            restore(&mut engine, client, &[b"k", b"1", &hello, b"ABSTTL", b"REPLACE"]),
            b"+OK\r\n"
        );
        assert_eq!(engine.keyspace().stats().expired_keys, expired_before);
        assert_eq!(propagated(&mut engine), vec!["DEL k"]);
    }

    #[test]
    fn a_replica_keeps_a_key_whose_deadline_passed() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET s hello");
        let hello = dump_of(&mut engine, client, "s");
        engine.keyspace_mut().set_expiry_mode(ExpiryMode::Ignore);
        assert_eq!(
            restore(&mut engine, client, &[b"k", b"1", &hello, b"ABSTTL"]),
            b"+OK\r\n"
        );
        assert_eq!(send(&mut engine, client, "PEXPIRETIME k"), b":1\r\n");
    }

    #[test]
    fn idle_time_counts_from_the_restore() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET s hello");
        let hello = dump_of(&mut engine, client, "s");
        restore(&mut engine, client, &[b"k", b"0", &hello, b"IDLETIME", b"100"]);
        assert_eq!(send(&mut engine, client, "OBJECT IDLETIME k"), b":100\r\n");
        let later = 1_700_000_000_000 + 5_000;
        engine
            .input_buffer(client)
            .expect("client")
            .extend_from_slice(b"OBJECT IDLETIME k\r\n");
        engine.process_input(client, later);
        assert_eq!(take_output(&mut engine, client), b":105\r\n");
        send(&mut engine, client, "CONFIG SET maxmemory-policy allkeys-lfu");
        restore(&mut engine, client, &[b"f", b"0", &hello, b"FREQ", b"77"]);
        assert_eq!(send(&mut engine, client, "OBJECT FREQ f"), b":77\r\n");
        restore(&mut engine, client, &[b"g", b"0", &hello, b"IDLETIME", b"77"]);
        assert_eq!(send(&mut engine, client, "OBJECT FREQ g"), b":5\r\n");
    }

    #[test]
    fn payload_checks_come_in_order() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET busy v");
        let footer = b"-ERR DUMP payload version or checksum are wrong\r\n";
        let bad = b"-ERR Bad data format\r\n";
        let hello = payload(b"\x00\x05hello", 10);
        let busy = b"-BUSYKEY Target key name already exists.\r\n";
        assert_eq!(restore(&mut engine, client, &[b"busy", b"-1", b"x"]), busy);
        assert_eq!(
            restore(&mut engine, client, &[b"new", b"-1", b"x"]),
            b"-ERR Invalid TTL value, must be >= 0\r\n"
        );
        assert_eq!(restore(&mut engine, client, &[b"new", b"0", b"short"]), footer);
        assert_eq!(
            restore(&mut engine, client, &[b"new", b"0", &payload(b"\x00\x01a", 11)]),
            footer
        );
        let mut flipped = hello.clone();
        flipped[3] ^= 1;
        assert_eq!(restore(&mut engine, client, &[b"new", b"0", &flipped]), footer);
        assert_eq!(
            restore(&mut engine, client, &[b"new", b"0", &payload(b"\x12\x00", 10)]),
            bad
        );
        assert_eq!(
            restore(&mut engine, client, &[b"new", b"0", &payload(b"\x0f", 10)]),
            bad
        );
        // Older versions are read; bytes after the value are ignored.
        assert_eq!(
            restore(&mut engine, client, &[b"v9", b"0", &payload(b"\x00\x02ok", 9)]),
            b"+OK\r\n"
        );
        assert_eq!(
            restore(&mut engine, client, &[b"tail", b"0", &payload(b"\x00\x02okjunk", 10)]),
            b"+OK\r\n"
        );
        assert_eq!(send(&mut engine, client, "GET tail"), b"$2\r\nok\r\n");
        // A string longer than the body reads into the footer, as in Redis.
        let into_footer = payload(b"\x00\x05hell", 10);
        assert_eq!(restore(&mut engine, client, &[b"f", b"0", &into_footer]), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "GET f"), b"$5\r\nhell\n\r\n");
        assert_eq!(
            restore(&mut engine, client, &[b"g", b"0", &payload(b"\x00\x0fhell", 10)]),
            bad
        );
    }
}
