//! Codec tests on whole files: a keyspace of every type and encoding
//! written and read back, fed whole and one byte at a time; truncated,
//! bit-flipped and random input never panics; hostile lengths allocate
//! nothing.

use super::decoder::{Decoder, Item};
use super::encoder::{write_keyspace, Aux, SaveOptions};
use super::load::Loader;
use super::LoadOptions;
use crate::config::Config;
use crate::engine::tests::{engine_with_client, send, send_args};
use crate::engine::Engine;
use crate::keyspace::value::Value;
use crate::keyspace::Keyspace;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use proptest::prelude::*;
use std::vec;

const NOW: i64 = 1_700_000_000_000;

/// An engine holding every type in every encoding, in several databases,
/// with expiries and binary keys.
fn populated() -> Engine {
    let (mut engine, client) = engine_with_client();
    let big: String = (0..300).map(|i| format!("element-{i}-")).collect();
    let commands: Vec<Vec<Vec<u8>>> = vec![
        vec![b"SET".to_vec(), b"int".to_vec(), b"12345".to_vec()],
        vec![b"SET".to_vec(), b"negative".to_vec(), b"-9223372036854775808".to_vec()],
        vec![b"SET".to_vec(), b"short".to_vec(), b"hello".to_vec()],
        vec![b"SET".to_vec(), b"compressible".to_vec(), big.clone().into_bytes()],
        vec![b"SET".to_vec(), b"bin\x00\r\nkey".to_vec(), b"\x00\xff\x01".to_vec()],
        vec![b"SET".to_vec(), b"".to_vec(), b"".to_vec()],
        vec![
            b"RPUSH".to_vec(),
            b"list".to_vec(),
            b"a".to_vec(),
            b"1".to_vec(),
            b"-70000".to_vec(),
        ],
        vec![
            b"HSET".to_vec(),
            b"hash".to_vec(),
            b"f".to_vec(),
            b"v".to_vec(),
            b"n".to_vec(),
            b"12".to_vec(),
        ],
        vec![
            b"SADD".to_vec(),
            b"intset".to_vec(),
            b"1".to_vec(),
            b"-5".to_vec(),
            b"4294967296".to_vec(),
        ],
        vec![b"SADD".to_vec(), b"set".to_vec(), b"x".to_vec(), b"y".to_vec()],
        vec![
            b"ZADD".to_vec(),
            b"zset".to_vec(),
            b"1.5".to_vec(),
            b"a".to_vec(),
            b"-inf".to_vec(),
            b"b".to_vec(),
        ],
        vec![b"PEXPIREAT".to_vec(), b"short".to_vec(), b"1800000000123".to_vec()],
        vec![b"SELECT".to_vec(), b"15".to_vec()],
        vec![b"SET".to_vec(), b"far".to_vec(), b"db".to_vec()],
    ];
    for command in &commands {
        send_args(&mut engine, client, command);
    }
    send(&mut engine, client, "SELECT 3");
    for i in 0..1000 {
        let i = format!("{i}");
        send_args(&mut engine, client, &[b"RPUSH".as_slice(), b"biglist", big.as_bytes()]);
        send_args(&mut engine, client, &["HSET", "bighash", &i, &i]);
        send_args(&mut engine, client, &["SADD", "bigset", &format!("m{i}")]);
        send_args(&mut engine, client, &["SADD", "bigintset", &i]);
        send_args(&mut engine, client, &["ZADD", "bigzset", &format!("{i}.25"), &i]);
    }
    engine
}

/// Every key with its type, encoding, expiry and contents, for comparison.
fn snapshot(keyspace: &Keyspace) -> BTreeMap<(usize, Vec<u8>), String> {
    let mut out = BTreeMap::new();
    for (index, db) in keyspace.dbs().iter().enumerate() {
        for (key, entry) in db.iter() {
            let contents = match &entry.value {
                Value::List(list) => format!("{:?}", list.items.iter().map(|e| e.to_vec()).collect::<Vec<_>>()),
                Value::Hash(hash) => {
                    let mut pairs: Vec<_> = hash.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                    pairs.sort();
                    format!("{pairs:?}")
                }
                Value::Set(set) => {
                    let mut members: Vec<_> = set.iter().map(|m| m.to_vec()).collect();
                    members.sort();
                    format!("{members:?}")
                }
                Value::ZSet(zset) => format!("{:?}", zset.iter().map(|(s, m)| (*s, m.to_vec())).collect::<Vec<_>>()),
                other => format!("{:?}", other.as_str().map(|s| s.to_vec())),
            };
            let line = format!(
                "{} {} {:?} {}",
                entry.value.value_type().name(),
                entry.value.encoding_name(),
                db.expire_at(key),
                contents
            );
            out.insert((index, key.to_vec()), line);
        }
    }
    out
}

fn aux() -> Aux<'static> {
    Aux {
        redis_ver: "7.0.15",
        ctime: NOW / 1000,
        used_mem: 1_000_000,
        replication: None,
        aof_base: false,
    }
}

fn encode(engine: &Engine, options: SaveOptions) -> Vec<u8> {
    match write_keyspace(engine.keyspace(), &aux(), options, Vec::new(), || {}) {
        Ok(bytes) => bytes,
        Err(never) => match never {},
    }
}

fn load(bytes: &[u8], chunk: usize) -> Result<Keyspace, super::DecodeError> {
    let config = Config::new();
    let mut keyspace = Keyspace::new(16);
    let mut loader = Loader::new(LoadOptions::from_config(&config), NOW, true, Some(bytes.len() as u64));
    for piece in bytes.chunks(chunk.max(1)) {
        loader.feed(&mut keyspace, piece)?;
    }
    loader.finish()?;
    Ok(keyspace)
}

fn options() -> SaveOptions {
    SaveOptions::from_config(&Config::new())
}

#[test]
fn every_type_round_trips_with_and_without_compression_and_checksum() {
    let engine = populated();
    let expected = snapshot(engine.keyspace());
    assert!(expected.len() > 15);
    for (compression, checksum) in [(true, true), (false, false), (true, false)] {
        let bytes = encode(
            &engine,
            SaveOptions {
                compression,
                checksum,
                ..options()
            },
        );
        assert_eq!(&bytes[..9], b"REDIS0010");
        let loaded = load(&bytes, 64 * 1024).expect("loads");
        assert_eq!(
            snapshot(&loaded),
            expected,
            "compression {compression} checksum {checksum}"
        );
    }
}

#[test]
fn one_byte_at_a_time_gives_the_same_items_as_the_whole_file() {
    let engine = populated();
    let bytes = encode(&engine, options());
    let whole = load(&bytes, bytes.len()).expect("whole");
    let bytewise = load(&bytes, 1).expect("byte by byte");
    assert_eq!(snapshot(&whole), snapshot(&bytewise));
    // Items come out as soon as they are complete: the first key is
    // available long before the end.
    let mut decoder = Decoder::new(LoadOptions::from_config(&Config::new()));
    let mut first_key_at = None;
    for (i, byte) in bytes.iter().enumerate() {
        decoder.feed(core::slice::from_ref(byte));
        while let Some(item) = decoder.next_item().expect("valid") {
            if matches!(item, Item::Entry(_)) && first_key_at.is_none() {
                first_key_at = Some(i);
            }
        }
    }
    assert!(first_key_at.expect("keys") < bytes.len() / 10);
    assert!(decoder.is_done());
}

#[test]
fn every_truncation_is_an_error() {
    let (mut engine, client) = engine_with_client();
    send(&mut engine, client, "RPUSH l a b c");
    send(&mut engine, client, "SET s hello");
    send(&mut engine, client, "ZADD z 1 a 2 b");
    let bytes = encode(&engine, options());
    for cut in 0..bytes.len() {
        let error = load(&bytes[..cut], 7).err().expect("truncated file must fail");
        assert!(error.is_truncation(), "cut at {cut}: {error}");
    }
}

#[test]
fn every_byte_flip_is_detected_with_a_checksum() {
    let engine = populated();
    let bytes = encode(&engine, options());
    // Every byte of the head and of the tail, and a spread in between.
    let step = (bytes.len() / 500).max(1);
    let offsets = (0..200)
        .chain((200..bytes.len() - 200).step_by(step))
        .chain(bytes.len() - 200..bytes.len());
    for offset in offsets {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut corrupt = bytes.clone();
            corrupt[offset] ^= mask;
            assert!(
                load(&corrupt, 4096).is_err(),
                "flip {mask:#x} at {offset} went unnoticed"
            );
        }
    }
}

#[test]
fn errors_name_the_offset_and_the_reason() {
    let error = load(b"REDIX0010\xff", 100).err().expect("bad magic");
    assert_eq!(error.offset, 0);
    assert!(error.reason.contains("Wrong signature"));
    let error = load(b"REDIS0011\xff", 100).err().expect("future version");
    assert!(error.reason.contains("Can't handle RDB format version"));
    // A value of an unsupported type (a stream) right after the header.
    let error = load(b"REDIS0009\x0f\x01k", 100).err().expect("stream");
    assert_eq!(error.offset, 9);
    assert_eq!(error.reason, "unsupported RDB type 15");
    let error = load(b"REDIS0009\x63\x01k", 100).err().expect("unknown type");
    assert_eq!(error.reason, "Unknown RDB encoding type 99");
    let error = load(b"REDIS0009\xfe\x20", 100).err().expect("db out of range");
    assert!(error.reason.contains("more than 16 databases"), "{error}");
}

#[test]
fn absurd_lengths_wait_for_bytes_instead_of_allocating() {
    // A list, a set, a hash and a string each claiming 2^60 elements or bytes.
    for kind in [1u8, 2, 4, 0, 18] {
        let mut bytes = b"REDIS0009".to_vec();
        bytes.extend_from_slice(&[kind, 1, b'k', 0x81]);
        bytes.extend_from_slice(&(1u64 << 60).to_be_bytes());
        bytes.extend_from_slice(&[1, b'x', 1, b'y']);
        let error = load(&bytes, 3).err().expect("cannot complete");
        assert!(error.is_truncation(), "type {kind}: {error}");
    }
}

#[test]
fn a_key_twice_is_an_error() {
    let error = load(b"REDIS0009\x00\x01k\x01a\x00\x01k\x01b\xff", 100)
        .err()
        .expect("dup");
    assert!(error.reason.contains("duplicated key 'k'"), "{error}");
    // Where the second `k` ended, though keys are added a batch later.
    assert_eq!(error.offset, 19);
}

/// `SET key:N value` records for `keys` in `range`.
fn records(range: core::ops::Range<usize>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for n in range {
        let key = format!("key:{n}");
        bytes.extend_from_slice(&[0, key.len() as u8]);
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(b"\x05value");
    }
    bytes
}

#[test]
fn keys_added_in_batches_land_in_their_databases_up_to_a_bad_record() {
    // Database 0 presized by `RESIZEDB` (its slots are prefetched), then
    // database 1 selected mid-batch with no hint (its table grows and
    // rehashes while it loads), then a record of an unknown type.
    let mut bytes = b"REDIS0009\xfe\x00\xfb\x80\x00\x00\x01\x2c\x00".to_vec();
    bytes.extend(records(0..300));
    bytes.extend_from_slice(b"\xfe\x01");
    bytes.extend(records(300..1000));
    let clean = [bytes.as_slice(), b"\xff\0\0\0\0\0\0\0\0"].concat();
    for chunk in [1, 7, 100_000] {
        let keyspace = load(&clean, chunk).expect("loads");
        assert_eq!((keyspace.db_ref(0).len(), keyspace.db_ref(1).len()), (300, 700));
        assert!(keyspace.db_ref(0).peek(b"key:299").is_some() && keyspace.db_ref(1).peek(b"key:300").is_some());
        assert!(keyspace.db_ref(0).peek(b"key:300").is_none());
    }
    // Fed whole, the keys before the bad record are added before the error.
    let bad = [bytes.as_slice(), b"\x63\x01k"].concat();
    let mut keyspace = Keyspace::new(16);
    let mut loader = Loader::new(LoadOptions::from_config(&Config::new()), NOW, true, None);
    let error = loader.feed(&mut keyspace, &bad).expect_err("a bad record");
    assert_eq!(error.reason, "Unknown RDB encoding type 99");
    assert_eq!(keyspace.total_keys(), 1000);
}

#[test]
fn expired_keys_are_dropped_by_a_master_and_kept_by_a_replica() {
    let mut bytes = b"REDIS0009\xfc".to_vec();
    bytes.extend_from_slice(&(NOW - 1).to_le_bytes());
    bytes.extend_from_slice(b"\x00\x01k\x01v\xff\0\0\0\0\0\0\0\0");
    let config = Config::new();
    for (drop_expired, kept) in [(true, 0), (false, 1)] {
        let mut keyspace = Keyspace::new(16);
        let mut loader = Loader::new(LoadOptions::from_config(&config), NOW, drop_expired, None);
        loader.feed(&mut keyspace, &bytes).expect("loads");
        let report = loader.finish().expect("complete");
        assert_eq!(keyspace.total_keys(), kept);
        assert_eq!(report.keys_expired, 1 - kept as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Random bytes after a valid header: an error or a result, never a
    /// panic, whatever the chunking.
    #[test]
    fn random_input_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400), chunk in 1usize..64) {
        let mut bytes = b"REDIS0010".to_vec();
        bytes.extend_from_slice(&body);
        let _ = load(&bytes, chunk);
    }

    /// A valid file with random bytes overwritten, checksum disabled so the
    /// decoder has to survive the values themselves.
    #[test]
    fn corrupted_values_never_panic(patches in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut engine_bytes = SMALL_FILE.with(|bytes| bytes.clone());
        for (index, byte) in patches {
            let at = index.index(engine_bytes.len());
            engine_bytes[at] = byte;
        }
        let _ = load(&engine_bytes, 16);
    }
}

std::thread_local! {
    /// A small file of every type, without checksum.
    static SMALL_FILE: Vec<u8> = {
        let (mut engine, client) = engine_with_client();
        for line in [
            "SET s hello", "SET n 42", "RPUSH l a 1 b", "HSET h f v g 2", "SADD i 1 2 3",
            "SADD t a b", "ZADD z 1 a 2.5 b", "PEXPIREAT s 1800000000000",
        ] {
            send(&mut engine, client, line);
        }
        encode(&engine, SaveOptions { checksum: false, ..options() })
    };
}

#[test]
fn an_intset_keeps_the_widest_encoding_it_ever_had() {
    let (mut engine, client) = engine_with_client();
    send(&mut engine, client, "SADD s 1 70000");
    send(&mut engine, client, "SREM s 70000");
    let entry = engine.keyspace().db_ref(0).peek(b"s").expect("s").clone();
    let payload = super::encoder::dump_payload(&entry.value, &options());
    // Type 11, a 12-byte blob: width 4, one member, then 1 as an i32.
    assert_eq!(&payload[..13], b"\x0b\x0c\x04\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00");
    let decoded = super::decoder::decode_payload(&payload, &LoadOptions::from_config(&Config::new())).expect("valid");
    assert_eq!(super::encoder::dump_payload(&decoded, &options()), payload);
}

#[test]
fn function_libraries_are_skipped_and_counted() {
    // FUNCTION2 with its code, then a key, EOF and a disabled checksum.
    let mut bytes = b"REDIS0010\xf5\x0e#!lua name=lib\x00\x01k\x01v\xff".to_vec();
    bytes.extend_from_slice(&[0; 8]);
    let mut keyspace = Keyspace::new(16);
    let mut loader = Loader::new(LoadOptions::from_config(&Config::new()), NOW, true, None);
    loader.feed(&mut keyspace, &bytes).expect("loads");
    let report = loader.finish().expect("complete");
    assert_eq!(report.functions_skipped, 1);
    assert_eq!(report.keys_loaded, 1);
    assert_eq!(report.checksum, Some(super::decoder::Checksum::Disabled));
}
