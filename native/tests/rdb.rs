//! RDB interoperability, end to end, against a real `redis-server` 7.0:
//!
//! - Redis saves a dataset of every type and encoding, Redis and vitrine
//!   load it and must hold the same keys, values, expiries and encodings
//!   (also uncompressed, without checksum, and across different
//!   thresholds);
//! - files in every older format Redis 7.0 still loads (versions 1 to 10,
//!   zipmaps, ziplists, linked lists, text scores...), written by
//!   `common::legacy_rdb`, first proven valid with `redis-check-rdb` and
//!   `redis-server`, then loaded by vitrine;
//! - vitrine saves, `redis-check-rdb` accepts and Redis loads the same
//!   dataset;
//! - DUMP/RESTORE in both directions, their options and error replies, and
//!   byte-identical DUMP payloads where Redis's encoding is deterministic;
//! - truncated and corrupted files: vitrine refuses to start, with exit
//!   code 1 and a log line naming the problem, and never panics.
//!
//! Setting `RDB_SUBJECT=redis` runs the vitrine halves with redis-server
//! in vitrine's place, which checks the suite itself:
//! everything passes then except `corrupt_files_without_checksum_never_crash`,
//! because redis-server crashes serving garbage it loaded without a
//! checksum, which is exactly what that test forbids vitrine to do.

mod common;

use common::dataset::{assert_same, pipeline, show, Data, Dataset, Resp};
use common::legacy_rdb::{self, Checksum, Encoded, Node, RdbBuilder, StrEnc};
use common::{scratch_dir, Conn, Kind, Launch, Server};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The server the vitrine halves run against: vitrine, or redis-server
/// with `RDB_SUBJECT=redis` (to check the suite itself against the
/// reference).
fn subject() -> Kind {
    match std::env::var("RDB_SUBJECT").as_deref() {
        Ok("redis") => Kind::Redis,
        _ => Kind::Vitrine,
    }
}

fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::Redis => "redis (as subject)",
        Kind::Vitrine => "vitrine",
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// Log phrases of a refused data file (Redis's, from rdb.c and server.c).
const REFUSAL_PHRASES: &[&str] = &[
    "Short read or OOM loading DB",
    "Wrong RDB checksum",
    "Internal error in RDB reading offset",
    "Wrong signature trying to load DB from file",
    "Can't handle RDB format version",
    "configured to handle more than",
    "Fatal error loading the DB",
    "Duplicated key",
];

// ---------------------------------------------------------------------------
// Starting servers on files
// ---------------------------------------------------------------------------

/// Arguments every loading server gets: no save points, no AOF, the file.
const LOAD_ARGS: &[&str] = &["--save", "", "--appendonly", "no", "--dbfilename", "dump.rdb"];

fn file_dir(rdb: &[u8]) -> std::path::PathBuf {
    let dir = scratch_dir("rdb");
    std::fs::write(dir.join("dump.rdb"), rdb).expect("write dump.rdb");
    dir
}

fn load_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = LOAD_ARGS.to_vec();
    args.extend_from_slice(extra);
    args
}

/// A server of `kind` started on `rdb` (panics if it refuses the file).
fn load(kind: Kind, rdb: &[u8], extra: &[&str]) -> Server {
    Server::start_in(kind, None, file_dir(rdb), &load_args(extra))
}

/// Starts a server of `kind` on `rdb` and reports whether it came up.
fn launch(kind: Kind, rdb: &[u8], extra: &[&str]) -> Launch {
    Server::launch_in(kind, None, file_dir(rdb), &load_args(extra), Duration::from_secs(10))
}

/// `redis-check-rdb` must accept the file.
fn check_rdb(rdb: &[u8]) {
    let dir = scratch_dir("check-rdb");
    let path = dir.join("dump.rdb");
    std::fs::write(&path, rdb).expect("write file");
    let output = Command::new("redis-check-rdb")
        .arg(&path)
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb refused the file:\n{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `SAVE` and returns the file it wrote.
fn save(server: &Server, conn: &mut Conn) -> Vec<u8> {
    let reply = conn.cmd(&["SAVE"]);
    assert_eq!(reply, b"+OK\r\n", "SAVE: {}", show(&reply));
    let reply = Resp::parse(&conn.cmd(&["CONFIG", "GET", "dbfilename"])).strings();
    std::fs::read(
        server
            .dir
            .join(Path::new(&String::from_utf8_lossy(&reply[1]).into_owned())),
    )
    .expect("read the saved file")
}

fn config_set(conn: &mut Conn, settings: &[(&str, &str)]) {
    for (name, value) in settings {
        let reply = conn.cmd(&["CONFIG", "SET", name, value]);
        assert_eq!(reply, b"+OK\r\n", "CONFIG SET {name} {value}: {}", show(&reply));
    }
}

// ---------------------------------------------------------------------------
// The fixture: every type and encoding, small and large
// ---------------------------------------------------------------------------

/// One command of the fixture.
struct FixtureCommand {
    args: Vec<Vec<u8>>,
    /// May fail (a debugging aid a server need not have).
    optional: bool,
}

/// A deterministic byte generator (xorshift64*).
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn random(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next() >> 56) as u8).collect()
    }

    fn text(&mut self, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize])
            .collect()
    }
}

struct FixtureBuilder {
    commands: Vec<FixtureCommand>,
}

impl FixtureBuilder {
    fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.commands.push(FixtureCommand {
            args: args.iter().map(|a| a.as_ref().to_vec()).collect(),
            optional: false,
        });
    }

    fn optional(&mut self, args: &[&str]) {
        self.commands.push(FixtureCommand {
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            optional: true,
        });
    }

    /// A command with a key then many arguments, split so that no single
    /// command is huge.
    fn many(&mut self, command: &str, key: &[u8], items: Vec<Vec<u8>>) {
        for chunk in items.chunks(1000) {
            let mut args = vec![command.as_bytes().to_vec(), key.to_vec()];
            args.extend(chunk.iter().cloned());
            self.cmd(&args);
        }
    }
}

fn strings<const N: usize>(items: [&str; N]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// The fixture commands; expiries are absolute, around `base_ms`.
fn fixture(base_ms: i64) -> Vec<FixtureCommand> {
    let mut f = FixtureBuilder { commands: Vec::new() };
    let mut bytes = Bytes(0x9e37_79b9_7f4a_7c15);
    let long_text = |n: usize| -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0u32;
        while out.len() < n {
            out.extend_from_slice(format!("line {i} of a compressible text; ").as_bytes());
            i += 1;
        }
        out.truncate(n);
        out
    };

    // Strings: integers at every encoding boundary, texts, binary data.
    f.cmd(&["SET", "str:empty", ""]);
    for value in [
        "0",
        "1",
        "-1",
        "127",
        "-128",
        "128",
        "-129",
        "9999",
        "10000",
        "32767",
        "-32768",
        "32768",
        "2147483647",
        "-2147483648",
        "2147483648",
        "-2147483649",
        "9223372036854775807",
        "-9223372036854775808",
    ] {
        f.cmd(&["SET", &format!("str:int:{value}"), value]);
    }
    for (i, value) in [
        "007",
        "+5",
        "-0",
        "1.5",
        " 3",
        "9223372036854775808",
        "12345678901234567890123",
    ]
    .iter()
    .enumerate()
    {
        f.cmd(&["SET", &format!("str:text:{i}"), value]);
    }
    f.cmd(&["SET", "str:embstr", "hello world"]);
    f.cmd(&[&b"SET"[..], b"str:44", &bytes.text(44)]);
    f.cmd(&[&b"SET"[..], b"str:45", &bytes.text(45)]);
    f.cmd(&["SET", "str:raw", "abc"]);
    f.cmd(&["APPEND", "str:raw", "def"]);
    f.cmd(&["SET", "str:lzf:21", "aaaaaaaaaaaaaaaaaaaaa"]);
    f.cmd(&[&b"SET"[..], b"str:lzf:text", &long_text(700)]);
    f.cmd(&[&b"SET"[..], b"str:lzf:100k", &long_text(100_000)]);
    f.cmd(&[&b"SET"[..], b"str:random:1mb", &bytes.random(1 << 20)]);
    f.cmd(&[&b"SET"[..], b"str:binary", b"\x00\r\n\xff\x00abc\r\n\x01"]);
    f.cmd(&["SETRANGE", "str:setrange", "100", "x"]);
    f.cmd(&["INCRBYFLOAT", "str:float", "3.25"]);
    f.cmd(&[&b"SET"[..], b"\x00bin\r\nkey\xff", b"binary key"]);
    f.cmd(&["SET", "ключ", "значение"]);
    f.cmd(&["SET", "", "empty key name"]);

    // Lists.
    f.many(
        "RPUSH",
        b"list:small",
        strings([
            "a",
            "b",
            "",
            "1",
            "-1",
            "127",
            "128",
            "-4096",
            "4095",
            "-4097",
            "32767",
            "-32768",
            "8388607",
            "-8388608",
            "2147483647",
            "-2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "007",
            "\x00\r\n",
        ]),
    );
    f.cmd(&["LPUSH", "list:lpush", "x", "y", "z"]);
    f.many(
        "RPUSH",
        b"list:ints",
        (0..300)
            .map(|i: i64| (i * i * i * 7919 - 1_000_000).to_string().into_bytes())
            .collect(),
    );
    f.many(
        "RPUSH",
        b"list:large",
        (0..20_000)
            .map(|i| {
                if i % 7 == 0 {
                    (i * 31).to_string().into_bytes()
                } else {
                    format!("element-{i}").into_bytes()
                }
            })
            .collect(),
    );
    f.many(
        "RPUSH",
        b"list:bigelements",
        (0..10).map(|_| bytes.text(5000)).collect(),
    );
    f.many(
        "RPUSH",
        b"list:compressible",
        (0..50).map(|_| b"same same same same".to_vec()).collect(),
    );
    // A PLAIN quicklist node: Redis makes one for an element above the
    // packed threshold (1 GB unless changed with DEBUG).
    f.optional(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "8192"]);
    f.cmd(&[&b"RPUSH"[..], b"list:plain", b"before", &bytes.text(10_000), b"after"]);
    f.optional(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]);

    // Hashes.
    f.cmd(&[
        &b"HSET"[..],
        b"hash:small",
        b"f1",
        b"v1",
        b"f2",
        b"2",
        b"f3",
        b"-3",
        b"big",
        b"12345678901",
        b"",
        b"empty field",
        b"empty value",
        b"",
        b"\x00bin",
        b"\r\n",
    ]);
    f.many(
        "HSET",
        b"hash:ht:entries",
        (0..600)
            .flat_map(|i| [format!("field:{i}").into_bytes(), i.to_string().into_bytes()])
            .collect(),
    );
    f.cmd(&[&b"HSET"[..], b"hash:ht:longvalue", b"a", b"1", b"b", &bytes.text(65)]);
    f.cmd(&[&b"HSET"[..], b"hash:ht:longfield", &bytes.text(65), b"x"]);
    f.cmd(&["HSET", "hash:ints", "1", "100", "-2", "-200", "300000", "3000000000"]);

    // Sets.
    f.cmd(&["SADD", "set:int16", "1", "2", "3", "-5", "32767", "-32768"]);
    f.cmd(&["SADD", "set:int32", "1", "70000", "-70000", "2147483647", "-2147483648"]);
    f.cmd(&[
        "SADD",
        "set:int64",
        "1",
        "1099511627776",
        "-4611686018427387904",
        "9223372036854775807",
        "-9223372036854775808",
    ]);
    // An intset keeps its width when its widest member leaves.
    f.cmd(&["SADD", "set:wide", "1", "2", "3", "9999999999"]);
    f.cmd(&["SREM", "set:wide", "9999999999"]);
    f.cmd(&[&b"SADD"[..], b"set:strings", b"a", b"b", b"c", b"", b"\x00"]);
    f.cmd(&["SADD", "set:mixed", "1", "2", "x"]);
    f.many(
        "SADD",
        b"set:bigint",
        (0..600).map(|i: i64| (i * 3 - 900).to_string().into_bytes()).collect(),
    );
    f.many(
        "SADD",
        b"set:bigstrings",
        (0..300).map(|i| format!("member:{i}").into_bytes()).collect(),
    );

    // Sorted sets.
    f.cmd(&[
        "ZADD",
        "zset:small",
        "1",
        "a",
        "2.5",
        "b",
        "-1.25",
        "c",
        "inf",
        "pinf",
        "-inf",
        "ninf",
        "-0",
        "negzero",
        "0",
        "zero",
        "1e-300",
        "tiny",
        "0.1",
        "tenth",
        "3",
        "three",
        "1e300",
        "huge",
    ]);
    f.cmd(&["ZADD", "zset:ties", "1", "b", "1", "a", "1", "c"]);
    f.cmd(&[
        "ZADD",
        "zset:intscores",
        "100",
        "a",
        "-100",
        "b",
        "9007199254740992",
        "c",
        "4503599627370496",
        "d",
        "-4503599627370495",
        "e",
    ]);
    let mut big = vec![
        b"inf".to_vec(),
        b"pinf".to_vec(),
        b"-inf".to_vec(),
        b"ninf".to_vec(),
        b"-0".to_vec(),
        b"negzero".to_vec(),
        b"1e-300".to_vec(),
        b"tiny".to_vec(),
    ];
    for i in 0..300 {
        big.push(format!("{}", i as f64 * 0.37 - 50.0).into_bytes());
        big.push(format!("m{i}").into_bytes());
    }
    f.many("ZADD", b"zset:big", big);
    f.cmd(&[&b"ZADD"[..], b"zset:longmember", b"1", &bytes.text(65), b"2", b"short"]);

    // Expiries, millisecond precision.
    f.cmd(&["SET", "exp:str", "v"]);
    f.cmd(&["RPUSH", "exp:list", "a", "b"]);
    f.cmd(&["HSET", "exp:hash", "f", "v"]);
    f.cmd(&["SADD", "exp:set", "1", "2"]);
    f.cmd(&["ZADD", "exp:zset", "1", "a"]);
    f.cmd(&["SET", "exp:far", "v"]);
    for (i, key) in ["exp:str", "exp:list", "exp:hash", "exp:set", "exp:zset"]
        .iter()
        .enumerate()
    {
        let at = (base_ms + 3_600_000 + 1 + i as i64 * 7).to_string();
        f.cmd(&["PEXPIREAT", key, &at]);
    }
    let far = (base_ms + 10 * 365 * 86_400_000 + 123).to_string();
    f.cmd(&["PEXPIREAT", "exp:far", &far]);

    // Other databases, with gaps (3 and 7 stay empty).
    for db in (1..16).filter(|db| *db != 3 && *db != 7) {
        f.cmd(&["SELECT", &db.to_string()]);
        f.cmd(&["SET", &format!("db{db}:string"), &format!("value in db {db}")]);
        f.cmd(&["SET", "same-name", &db.to_string()]);
        if db % 2 == 0 {
            f.cmd(&["RPUSH", &format!("db{db}:list"), "a", "b", "c"]);
            f.cmd(&["HSET", &format!("db{db}:hash"), "f", &db.to_string()]);
        } else {
            f.cmd(&["SADD", &format!("db{db}:set"), "1", "2", &db.to_string()]);
            f.cmd(&["ZADD", &format!("db{db}:zset"), &db.to_string(), "m"]);
        }
        if db % 5 == 0 {
            let at = (base_ms + 7_200_000 + db as i64).to_string();
            f.cmd(&["PEXPIREAT", &format!("db{db}:string"), &at]);
        }
    }
    f.cmd(&["SELECT", "0"]);
    f.commands
}

/// A smaller fixture (no large values) for tests that start many servers.
fn small_fixture(base_ms: i64) -> Vec<FixtureCommand> {
    fixture(base_ms)
        .into_iter()
        .filter(|command| {
            let key = command.args.get(1).map(Vec::as_slice).unwrap_or_default();
            !matches!(
                key,
                b"str:random:1mb"
                    | b"str:lzf:100k"
                    | b"list:large"
                    | b"list:bigelements"
                    | b"set:bigint"
                    | b"hash:ht:entries"
                    | b"list:ints"
                    | b"set:bigstrings"
            )
        })
        .collect()
}

/// Runs fixture commands (pipelined); only optional ones may fail.
fn populate(conn: &mut Conn, commands: &[FixtureCommand]) {
    for batch in commands.chunks(64) {
        let args: Vec<Vec<&[u8]>> = batch
            .iter()
            .map(|c| c.args.iter().map(Vec::as_slice).collect())
            .collect();
        let replies = pipeline(conn, &args);
        for (command, reply) in batch.iter().zip(replies) {
            if let Resp::Error(error) = &reply {
                assert!(
                    command.optional,
                    "fixture command {} failed: {}",
                    show(&command.args.join(&b' ')),
                    show(error)
                );
            }
        }
    }
}

/// The encodings the full fixture must show on Redis before saving.
const FIXTURE_ENCODINGS: &[&str] = &[
    "string/int",
    "string/embstr",
    "string/raw",
    "list/quicklist",
    "hash/listpack",
    "hash/hashtable",
    "set/intset",
    "set/hashtable",
    "zset/listpack",
    "zset/skiplist",
];

/// Small encoding thresholds, so that small values take the big encodings.
const SMALL_THRESHOLDS: &[(&str, &str)] = &[
    ("hash-max-listpack-entries", "4"),
    ("hash-max-listpack-value", "8"),
    ("zset-max-listpack-entries", "4"),
    ("zset-max-listpack-value", "8"),
    ("set-max-intset-entries", "4"),
    ("list-max-listpack-size", "4"),
];

fn small_threshold_args() -> Vec<String> {
    SMALL_THRESHOLDS
        .iter()
        .flat_map(|(name, value)| [format!("--{name}"), value.to_string()])
        .collect()
}

/// How the saving server is set up.
#[derive(Default)]
struct SaveSetup<'a> {
    /// Start-up arguments (`rdbchecksum` cannot change at run time).
    start: &'a [&'a str],
    /// CONFIG SET before populating.
    before: &'a [(&'a str, &'a str)],
    /// CONFIG SET after populating, before SAVE.
    before_save: &'a [(&'a str, &'a str)],
}

/// A redis-server populated with the fixture: (server, dataset, file
/// written by SAVE).
fn redis_saved(commands: &[FixtureCommand], setup: &SaveSetup) -> (Server, Dataset, Vec<u8>) {
    let mut args = vec!["--enable-debug-command", "yes"];
    args.extend_from_slice(setup.start);
    let server = Server::start(Kind::Redis, &args);
    let mut conn = server.connect();
    config_set(&mut conn, setup.before);
    populate(&mut conn, commands);
    let dataset = Dataset::read(&mut conn);
    config_set(&mut conn, setup.before_save);
    let file = save(&server, &mut conn);
    (server, dataset, file)
}

// ---------------------------------------------------------------------------
// 1–2. Redis writes, Redis and vitrine load
// ---------------------------------------------------------------------------

/// Redis saves `commands`; a fresh Redis and the subject load the file
/// (with `load_extra`); the reloaded Redis must hold what was saved, and
/// the subject exactly what the reloaded Redis holds, encodings included.
fn redis_writes_and_both_load(
    commands: &[FixtureCommand],
    setup: &SaveSetup,
    load_extra: &[&str],
) -> (Dataset, Vec<u8>) {
    let (_source, saved, file) = redis_saved(commands, setup);
    check_rdb(&file);
    let redis = load(Kind::Redis, &file, load_extra);
    let reloaded = Dataset::read_port(redis.port);
    assert_same(
        &saved.normalized(),
        "redis before SAVE",
        &reloaded.normalized(),
        "redis after loading",
    );
    {
        let kind = subject();
        let server = load(kind, &file, load_extra);
        let loaded = Dataset::read_port(server.port);
        assert_same(&reloaded, "redis", &loaded, name(kind));
        assert_clean(&server);
    }
    (saved, file)
}

/// No panic message in a server's log or stderr.
fn assert_clean(server: &Server) {
    let log = server.log();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
}

#[test]
fn redis_dump_of_every_encoding_loads() {
    if !common::redis_available() {
        return;
    }
    let (saved, _) = redis_writes_and_both_load(&fixture(now_ms()), &SaveSetup::default(), &[]);
    let encodings = saved.encodings();
    for wanted in FIXTURE_ENCODINGS {
        assert!(
            encodings.contains_key(*wanted),
            "the fixture lacks {wanted}: {encodings:?}"
        );
    }
}

#[test]
fn redis_dump_without_compression_or_checksum_loads() {
    if !common::redis_available() {
        return;
    }
    let setup = SaveSetup {
        start: &["--rdbchecksum", "no"],
        before_save: &[("rdbcompression", "no")],
        ..SaveSetup::default()
    };
    let (_, file) = redis_writes_and_both_load(&fixture(now_ms()), &setup, &[]);
    assert_eq!(&file[file.len() - 8..], &[0; 8], "no checksum");
}

#[test]
fn redis_dump_with_small_thresholds_loads_with_default_ones() {
    if !common::redis_available() {
        return;
    }
    let setup = SaveSetup {
        before: SMALL_THRESHOLDS,
        ..SaveSetup::default()
    };
    redis_writes_and_both_load(&fixture(now_ms()), &setup, &[]);
}

#[test]
fn redis_dump_loads_with_small_thresholds() {
    if !common::redis_available() {
        return;
    }
    let args = small_threshold_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    redis_writes_and_both_load(&small_fixture(now_ms()), &SaveSetup::default(), &args);
}

#[test]
fn hundred_thousand_keys_load() {
    if !common::redis_available() {
        return;
    }
    let base = now_ms();
    let mut commands = Vec::new();
    for batch in 0..100 {
        let mut args = vec![b"MSET".to_vec()];
        for i in batch * 1000..(batch + 1) * 1000 {
            args.push(format!("key:{i}").into_bytes());
            args.push(if i % 3 == 0 {
                i.to_string().into_bytes()
            } else {
                format!("value-{i}").into_bytes()
            });
        }
        commands.push(FixtureCommand { args, optional: false });
    }
    for i in (0..100_000).step_by(10) {
        commands.push(FixtureCommand {
            args: vec![
                b"PEXPIREAT".to_vec(),
                format!("key:{i}").into_bytes(),
                (base + 3_600_000 + i).to_string().into_bytes(),
            ],
            optional: false,
        });
    }
    for i in 0..2000 {
        commands.push(FixtureCommand {
            args: vec![
                b"HSET".to_vec(),
                format!("hash:{i}").into_bytes(),
                b"a".to_vec(),
                i.to_string().into_bytes(),
            ],
            optional: false,
        });
    }
    let started = Instant::now();
    let (saved, _) = redis_writes_and_both_load(&commands, &SaveSetup::default(), &[]);
    assert_eq!(saved.len(), 102_000);
    eprintln!("102k keys saved, loaded and compared in {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------
// 3. Legacy formats
// ---------------------------------------------------------------------------

fn b(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    items.iter().map(|(a, v)| (b(a), b(v))).collect()
}

fn scored(items: &[(&str, f64)]) -> Vec<(Vec<u8>, f64)> {
    items.iter().map(|(m, s)| (b(m), *s)).collect()
}

/// Elements covering every ziplist/listpack integer width and strings of
/// every length class.
fn list_elements() -> Vec<Vec<u8>> {
    let mut items = strings([
        "0",
        "12",
        "13",
        "-1",
        "127",
        "-128",
        "128",
        "-4096",
        "4095",
        "4096",
        "32767",
        "-32768",
        "32768",
        "8388607",
        "-8388608",
        "8388608",
        "2147483647",
        "-2147483648",
        "2147483648",
        "9223372036854775807",
        "-9223372036854775808",
        "-0",
        "007",
        "",
        "x",
        "\x00\r\n",
    ]);
    items.push(vec![b'a'; 63]);
    items.push(vec![b'b'; 64]);
    items.push(vec![b'c'; 300]);
    items.push(vec![b'd'; 4095]);
    items.push(vec![b'e'; 4096]);
    items.push(vec![b'f'; 16_384]);
    items.push(b"after the big ones".to_vec());
    items
}

fn text_scores() -> Vec<(Vec<u8>, f64)> {
    scored(&[
        ("one", 1.0),
        ("half", 0.5),
        ("neg", -2.25),
        ("pinf", f64::INFINITY),
        ("ninf", f64::NEG_INFINITY),
        ("negzero", -0.0),
        ("tiny", 1e-300),
        ("tenth", 0.1),
        ("big", 1e300),
        ("int", 9_007_199_254_740_992.0),
    ])
}

/// Keys every format can hold: strings in all representations, and the
/// old generic aggregates.
fn write_basics(file: &mut RdbBuilder, expire_seconds: i32) {
    for (i, value) in [
        "0",
        "-1",
        "127",
        "-128",
        "128",
        "32767",
        "-32768",
        "32768",
        "2147483647",
        "-2147483648",
        "2147483648",
        "9223372036854775807",
        "-0",
        "007",
    ]
    .iter()
    .enumerate()
    {
        file.key(format!("int:{i}").as_bytes(), &Encoded::String(b(value), StrEnc::Auto));
    }
    file.key(b"int-as-raw", &Encoded::String(b("12345"), StrEnc::Raw));
    file.key(b"empty", &Encoded::String(Vec::new(), StrEnc::Auto));
    file.key(
        b"binary\x00\r\n",
        &Encoded::String(b"\x00\xff\r\n".to_vec(), StrEnc::Raw),
    );
    let text = b("abcabcabcabcabcabcabcabcabcabc xyz xyz xyz xyz xyz xyz 0123456789");
    file.key(b"lzf", &Encoded::String(text.clone(), StrEnc::Lzf));
    file.key(b"lzf:literal", &Encoded::String(text.clone(), StrEnc::LzfLiteral));
    file.key(b"lzf:auto", &Encoded::String(text, StrEnc::Auto));
    file.key(b"lzf:run", &Encoded::String(vec![b'z'; 5000], StrEnc::Lzf));
    let mut pattern = Vec::new();
    for i in 0..3000u32 {
        pattern.extend_from_slice(format!("{} ", i % 97).as_bytes());
    }
    file.key(b"lzf:far", &Encoded::String(pattern, StrEnc::Lzf));
    file.key(b"lzf:distant", &Encoded::String(distant_repeat(), StrEnc::Lzf));
    file.key(b"lzf:tiny", &Encoded::String(b("abc"), StrEnc::LzfLiteral));
    file.key(
        b"linkedlist",
        &Encoded::LinkedList(strings(["a", "1", "", "-300", "70000", "x y z"])),
    );
    file.key(
        b"set",
        &Encoded::Set(strings(["a", "b", "1", "-5", "", "9223372036854775807"])),
    );
    file.key(b"set:ints", &Encoded::Set(strings(["3", "1", "2", "-100000"])));
    file.key(
        b"zset:text",
        &Encoded::ZSetText {
            pairs: text_scores(),
            infinity_as_text: false,
        },
    );
    file.key(
        b"zset:text:inf",
        &Encoded::ZSetText {
            pairs: scored(&[("a", f64::INFINITY), ("b", f64::NEG_INFINITY), ("c", 2.0)]),
            infinity_as_text: true,
        },
    );
    file.key(
        b"hash",
        &Encoded::Hash(pairs(&[("f", "v"), ("n", "12"), ("", "empty field"), ("e", "")])),
    );
    let many: Vec<(Vec<u8>, Vec<u8>)> = (0..600)
        .map(|i| (format!("f{i}").into_bytes(), format!("{}", i * 7).into_bytes()))
        .collect();
    file.key(b"hash:big", &Encoded::Hash(many));
    file.expire_seconds(expire_seconds);
    file.key(b"expires:seconds", &Encoded::String(b("soon"), StrEnc::Auto));
    file.expire_seconds(expire_seconds + 1);
    file.key(b"expires:list", &Encoded::LinkedList(strings(["a"])));
}

/// Random bytes whose head repeats 8190 bytes later: back references at
/// the far end of LZF's 8 KB window.
fn distant_repeat() -> Vec<u8> {
    let mut bytes = Bytes(99).random(8190);
    let head = bytes[..300].to_vec();
    bytes.extend_from_slice(&head);
    bytes
}

/// The ziplist-era containers (2.2 – 3.0).
fn write_small_containers(file: &mut RdbBuilder) {
    file.key(
        b"zipmap",
        &Encoded::HashZipmap(pairs(&[("a", "1"), ("bb", "22"), ("", "e"), ("n", "-7")]), 0),
    );
    file.key(
        b"zipmap:free",
        &Encoded::HashZipmap(pairs(&[("a", "1"), ("b", "two")]), 3),
    );
    file.key(
        b"zipmap:biglen",
        &Encoded::HashZipmap(vec![(b("long"), vec![b'v'; 300]), (b("x"), b("y"))], 0),
    );
    file.key(b"ziplist", &Encoded::ListZiplist(list_elements(), false));
    file.key(b"ziplist:wide", &Encoded::ListZiplist(strings(["a", "1", "b"]), true));
    file.key(b"intset:16", &Encoded::Intset(vec![1, 2, 3, -5, 32767, -32768], 2));
    file.key(
        b"intset:32",
        &Encoded::Intset(vec![1, 70000, -70000, i32::MAX as i64, i32::MIN as i64], 4),
    );
    file.key(
        b"intset:64",
        &Encoded::Intset(vec![1, 1 << 40, -(1 << 62), i64::MAX, i64::MIN], 8),
    );
    file.key(b"intset:wide", &Encoded::Intset(vec![1, 2, 3], 8));
    let big: Vec<i64> = (0..600).map(|i| i * 5 - 1000).collect();
    file.key(b"intset:big", &Encoded::Intset(big, 2));
}

fn write_ziplist_pairs(file: &mut RdbBuilder) {
    file.key(b"zset:ziplist", &Encoded::ZSetZiplist(text_scores()));
    let many: Vec<(Vec<u8>, f64)> = (0..200)
        .map(|i| (format!("m{i}").into_bytes(), i as f64 / 4.0))
        .collect();
    file.key(b"zset:ziplist:big", &Encoded::ZSetZiplist(many));
    file.key(
        b"hash:ziplist",
        &Encoded::HashZiplist(pairs(&[("a", "1"), ("b", "-70000"), ("c", ""), ("", "x")])),
    );
    let many: Vec<(Vec<u8>, Vec<u8>)> = (0..600)
        .map(|i| (format!("f{i}").into_bytes(), vec![b'v'; i % 80]))
        .collect();
    file.key(b"hash:ziplist:big", &Encoded::HashZiplist(many));
    file.key(
        b"hash:ziplist:longvalue",
        &Encoded::HashZiplist(vec![(b("f"), vec![b'x'; 100])]),
    );
}

fn write_quicklist(file: &mut RdbBuilder) {
    file.key(
        b"quicklist",
        &Encoded::Quicklist(vec![strings(["a", "b", "1"]), list_elements(), strings(["last"])]),
    );
    let nodes: Vec<Vec<Vec<u8>>> = (0..30)
        .map(|n| (0..100).map(|i| format!("{n}:{i}").into_bytes()).collect())
        .collect();
    file.key(b"quicklist:many", &Encoded::Quicklist(nodes));
}

fn write_zset2(file: &mut RdbBuilder) {
    file.key(b"zset2", &Encoded::ZSet2(text_scores()));
    let many: Vec<(Vec<u8>, f64)> = (0..300)
        .map(|i| (format!("m{i}").into_bytes(), (i as f64 * 1.5).sin()))
        .collect();
    file.key(b"zset2:big", &Encoded::ZSet2(many));
}

fn write_listpacks(file: &mut RdbBuilder) {
    file.key(
        b"hash:listpack",
        &Encoded::HashListpack(pairs(&[
            ("a", "1"),
            ("b", "-4096"),
            ("c", "9223372036854775807"),
            ("", ""),
            ("long", &"w".repeat(100)),
        ])),
    );
    let many: Vec<(Vec<u8>, Vec<u8>)> = (0..600)
        .map(|i| (format!("f{i}").into_bytes(), (i * 1000).to_string().into_bytes()))
        .collect();
    file.key(b"hash:listpack:big", &Encoded::HashListpack(many));
    file.key(b"zset:listpack", &Encoded::ZSetListpack(text_scores()));
    let many: Vec<(Vec<u8>, f64)> = (0..300)
        .map(|i| (format!("m{i}").into_bytes(), (i % 17) as f64))
        .collect();
    file.key(b"zset:listpack:big", &Encoded::ZSetListpack(many));
    file.key(
        b"quicklist2",
        &Encoded::Quicklist2(vec![
            Node::Packed(strings(["a", "b", "1"])),
            Node::Plain(vec![b'p'; 20_000]),
            Node::Packed(list_elements()),
            Node::Plain(b("small plain")),
        ]),
    );
    file.key(
        b"quicklist2:plain-only",
        &Encoded::Quicklist2(vec![Node::Plain(b("only"))]),
    );
}

/// The legacy file of `version`, with the containers of its era.
fn legacy_file(version: u32, base_ms: i64) -> (Vec<u8>, Dataset) {
    let expire_seconds = (base_ms / 1000 + 3600) as i32;
    let mut file = RdbBuilder::new(version);
    if version >= 7 {
        file.aux("redis-ver", "3.2.0")
            .aux("redis-bits", "64")
            .aux("ctime", &(base_ms / 1000).to_string())
            .aux("used-mem", "1000000");
    }
    if version >= 9 {
        file.aux("repl-stream-db", "0")
            .aux("aof-preamble", "0")
            .aux("unknown-field", "must be ignored");
    }
    file.select_db(0);
    if version >= 7 {
        file.resize_db(100, 5);
    }
    write_basics(&mut file, expire_seconds);
    if version >= 2 {
        write_small_containers(&mut file);
    }
    if version >= 3 {
        file.expire_ms(base_ms + 3_600_123);
        file.key(b"expires:ms", &Encoded::String(b("later"), StrEnc::Auto));
        write_ziplist_pairs(&mut file);
    }
    if version >= 7 {
        write_quicklist(&mut file);
    }
    if version >= 8 {
        write_zset2(&mut file);
    }
    if version >= 9 {
        file.idle(100);
        file.key(b"with:idle", &Encoded::String(b("i"), StrEnc::Auto));
        file.freq(10);
        file.key(b"with:freq", &Encoded::String(b("f"), StrEnc::Auto));
    }
    if version >= 10 {
        write_listpacks(&mut file);
        file.expire_ms(base_ms + 3_600_777);
        file.key(b"expires:listpack", &Encoded::HashListpack(pairs(&[("a", "b")])));
    }
    // Other databases, skipping some; the same key name in several.
    for db in [1u8, 5, 15] {
        file.select_db(db);
        if version >= 7 {
            file.resize_db(2, 0);
        }
        file.key(b"same", &Encoded::String(db.to_string().into_bytes(), StrEnc::Auto));
        file.key(format!("db{db}").as_bytes(), &Encoded::LinkedList(strings(["x", "y"])));
    }
    let checksum = match version {
        1..=4 => Checksum::Absent,
        6 => Checksum::Zero,
        _ => Checksum::Valid,
    };
    file.finish(checksum)
}

/// The legacy file of `version` is valid for redis-check-rdb and
/// redis-server and yields its dataset; the subject yields Redis's.
fn check_legacy(version: u32) {
    if !common::redis_available() {
        return;
    }
    let (file, expected) = legacy_file(version, now_ms());
    check_legacy_file(&file, &expected, &[]);
}

fn check_legacy_file(file: &[u8], expected: &Dataset, extra: &[&str]) {
    check_rdb(file);
    let redis = load(Kind::Redis, file, extra);
    let loaded = Dataset::read_port(redis.port);
    assert_same(
        &expected.normalized(),
        "file written",
        &loaded.normalized(),
        "redis loaded",
    );
    {
        let kind = subject();
        let server = load(kind, file, extra);
        assert_same(&loaded, "redis", &Dataset::read_port(server.port), name(kind));
        assert_clean(&server);
    }
}

#[test]
fn legacy_version_1() {
    check_legacy(1);
}

#[test]
fn legacy_version_2() {
    check_legacy(2);
}

#[test]
fn legacy_version_3() {
    check_legacy(3);
}

#[test]
fn legacy_version_4() {
    check_legacy(4);
}

#[test]
fn legacy_version_5() {
    check_legacy(5);
}

#[test]
fn legacy_version_6_with_zero_checksum() {
    check_legacy(6);
}

#[test]
fn legacy_version_7() {
    check_legacy(7);
}

#[test]
fn legacy_version_8() {
    check_legacy(8);
}

#[test]
fn legacy_version_9() {
    check_legacy(9);
}

#[test]
fn legacy_version_10() {
    check_legacy(10);
}

#[test]
fn legacy_file_uncompressed() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10).compress(false);
    file.select_db(0);
    write_basics(&mut file, (now_ms() / 1000 + 3600) as i32);
    write_small_containers(&mut file);
    write_listpacks(&mut file);
    let (file, expected) = file.finish(Checksum::Valid);
    check_legacy_file(&file, &expected, &[]);
}

/// Loading with small thresholds converts listpacks, ziplists, zipmaps
/// and intsets over the entry counts (but, as Redis, only zipmaps check
/// value lengths).
#[test]
fn legacy_containers_convert_under_small_thresholds() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10);
    file.select_db(0);
    write_small_containers(&mut file);
    write_ziplist_pairs(&mut file);
    write_listpacks(&mut file);
    file.key(b"set:small", &Encoded::Set(strings(["1", "2", "3", "4", "5"])));
    let (file, expected) = file.finish(Checksum::Valid);
    let args = small_threshold_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check_legacy_file(&file, &expected, &args);
}

/// IDLE and FREQ opcodes set the key's LRU idle time or LFU counter,
/// whichever the eviction policy uses.
#[test]
fn legacy_idle_and_freq_opcodes() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10);
    file.select_db(0);
    file.idle(1000);
    file.key(b"idle", &Encoded::String(b("i"), StrEnc::Auto));
    file.freq(77);
    file.key(b"freq", &Encoded::String(b("f"), StrEnc::Auto));
    file.idle(5000).freq(200);
    file.key(b"both", &Encoded::String(b("b"), StrEnc::Auto));
    let (file, _) = file.finish(Checksum::Valid);

    let check = |kind: Kind| {
        let server = load(kind, &file, &[]);
        let mut conn = server.connect();
        let idle = Resp::parse(&conn.cmd(&["OBJECT", "IDLETIME", "idle"])).integer();
        assert!((1000..1010).contains(&idle), "{kind:?}: idle {idle}");
        let idle = Resp::parse(&conn.cmd(&["OBJECT", "IDLETIME", "both"])).integer();
        assert!((5000..5010).contains(&idle), "{kind:?}: idle {idle}");
        let server = load(kind, &file, &["--maxmemory-policy", "allkeys-lfu"]);
        let mut conn = server.connect();
        assert_eq!(conn.cmd(&["OBJECT", "FREQ", "freq"]), b":77\r\n", "{kind:?}");
        assert_eq!(conn.cmd(&["OBJECT", "FREQ", "both"]), b":200\r\n", "{kind:?}");
    };
    check(Kind::Redis);
    {
        let kind = subject();
        check(kind);
    }
}

/// Redis's loader keeps a key's metadata in signed integers with -1 for
/// "none": an expiry of -1 ms is no expiry (the key stays, without a TTL,
/// where -2 is long past and dropped), and an idle time of 2^63 seconds
/// or more is no idle time.
#[test]
fn minus_one_metadata_means_none_as_in_redis() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10);
    file.select_db(0);
    file.expire_ms(-1);
    file.key(b"forever", &Encoded::String(b("f"), StrEnc::Auto));
    file.raw(b"\xfc").raw(&(-2i64).to_le_bytes());
    file.raw(b"\x00\x04gone\x01g");
    file.idle(1 << 63);
    file.key(b"fresh", &Encoded::String(b("i"), StrEnc::Auto));
    let (file, _) = file.finish(Checksum::Valid);

    let check = |kind: Kind| {
        let server = load(kind, &file, &[]);
        let mut conn = server.connect();
        assert_eq!(conn.cmd(&["TTL", "forever"]), b":-1\r\n", "{kind:?}");
        assert_eq!(conn.cmd(&["EXISTS", "gone"]), b":0\r\n", "{kind:?}");
        let idle = Resp::parse(&conn.cmd(&["OBJECT", "IDLETIME", "fresh"])).integer();
        assert!(idle < 10, "{kind:?}: idle {idle}");
        assert_eq!(conn.cmd(&["DBSIZE"]), b":2\r\n", "{kind:?}");
    };
    check(Kind::Redis);
    check(subject());
}

/// Empty aggregates (which old Redis versions could save) are skipped
/// with a warning, not refused (redis-check-rdb does refuse them).
#[test]
fn empty_aggregates_are_skipped() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10);
    file.select_db(0);
    file.key(b"before", &Encoded::String(b("kept"), StrEnc::Auto));
    file.key(b"empty:list", &Encoded::LinkedList(Vec::new()));
    file.key(b"empty:set", &Encoded::Set(Vec::new()));
    file.key(b"empty:zset", &Encoded::ZSet2(Vec::new()));
    file.key(b"empty:hash", &Encoded::Hash(Vec::new()));
    file.key(b"empty:ziplist", &Encoded::ListZiplist(Vec::new(), false));
    file.key(b"empty:zset:ziplist", &Encoded::ZSetZiplist(Vec::new()));
    file.key(b"empty:hash:ziplist", &Encoded::HashZiplist(Vec::new()));
    file.key(b"empty:quicklist", &Encoded::Quicklist(Vec::new()));
    file.key(b"empty:quicklist:node", &Encoded::Quicklist(vec![Vec::new()]));
    file.key(b"empty:hash:listpack", &Encoded::HashListpack(Vec::new()));
    file.key(b"empty:zset:listpack", &Encoded::ZSetListpack(Vec::new()));
    file.key(b"empty:quicklist2", &Encoded::Quicklist2(Vec::new()));
    file.key(b"after", &Encoded::String(b("kept too"), StrEnc::Auto));
    let (file, expected) = file.finish(Checksum::Valid);
    assert_eq!(expected.len(), 2);
    let redis = load(Kind::Redis, &file, &[]);
    let loaded = Dataset::read_port(redis.port);
    assert_same(&expected.normalized(), "file written", &loaded.normalized(), "redis");
    assert!(redis.log().contains("skipping empty key"), "{}", redis.log());
    {
        let kind = subject();
        let server = load(kind, &file, &[]);
        assert_same(&loaded, "redis", &Dataset::read_port(server.port), name(kind));
        assert_clean(&server);
    }
}

/// With `rdbchecksum no` a loader ignores a wrong checksum; with the
/// default it refuses the file.
#[test]
fn wrong_checksum_refused_unless_rdbchecksum_no() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10);
    file.select_db(0);
    write_basics(&mut file, (now_ms() / 1000 + 3600) as i32);
    let (file, expected) = file.finish(Checksum::Wrong);
    let mut kinds = vec![Kind::Redis];
    kinds.push(subject());
    for kind in kinds {
        assert_refused(kind, &file, &[], "wrong checksum");
        let server = load(kind, &file, &["--rdbchecksum", "no"]);
        let loaded = Dataset::read_port(server.port);
        assert_same(&expected.normalized(), "file written", &loaded.normalized(), name(kind));
    }
}

/// The server refuses to start on `file`: it exits (code 1 for the
/// subject), names the problem in its log, and does not panic.
fn assert_refused(kind: Kind, file: &[u8], extra: &[&str], what: &str) -> String {
    match launch(kind, file, extra) {
        Launch::Running(server) => panic!("{kind:?} started on a file with {what}; log:\n{}", server.log()),
        Launch::Exited { status, log } => {
            if kind == Kind::Vitrine {
                assert_eq!(status.code(), Some(1), "{what}: exit status; log:\n{log}");
            }
            assert!(!log.contains("panicked"), "{what}: panic:\n{log}");
            assert!(
                REFUSAL_PHRASES.iter().any(|phrase| log.contains(phrase)),
                "{kind:?}, {what}: no known refusal message in the log:\n{log}"
            );
            log
        }
    }
}

/// Files no loader may accept: each is refused by Redis, and must be by
/// the subject.
#[test]
fn invalid_legacy_files_are_refused() {
    if !common::redis_available() {
        return;
    }
    let one = |version: u32, build: &dyn Fn(&mut RdbBuilder)| -> Vec<u8> {
        let mut file = RdbBuilder::new(version);
        file.select_db(0);
        file.key(b"fine", &Encoded::String(b("ok"), StrEnc::Auto));
        build(&mut file);
        file.finish(if version < 5 { Checksum::Absent } else { Checksum::Valid })
            .0
    };
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "NaN score",
            one(1, &|f| {
                f.key(
                    b"z",
                    &Encoded::ZSetText {
                        pairs: scored(&[("a", f64::NAN)]),
                        infinity_as_text: false,
                    },
                );
            }),
        ),
        (
            "NaN binary score",
            one(10, &|f| {
                f.key(b"z", &Encoded::ZSet2(scored(&[("a", 1.0), ("b", f64::NAN)])));
            }),
        ),
        (
            "duplicate set member",
            one(10, &|f| {
                f.key(b"s", &Encoded::Set(strings(["a", "b", "a"])));
            }),
        ),
        (
            "duplicate integer set member",
            one(10, &|f| {
                f.key(b"s", &Encoded::Set(strings(["1", "2", "1"])));
            }),
        ),
        (
            "duplicate zset member",
            one(10, &|f| {
                f.key(b"z", &Encoded::ZSet2(scored(&[("a", 1.0), ("a", 2.0)])));
            }),
        ),
        (
            "duplicate field in a big hash",
            one(10, &|f| {
                // Over hash-max-listpack-entries (512): loaded into a
                // hash table, which sees the duplicate.
                let mut many: Vec<(Vec<u8>, Vec<u8>)> =
                    (0..600).map(|i| (format!("f{i}").into_bytes(), b("v"))).collect();
                many.push((b("f3"), b("again")));
                f.raw(&[4]);
                f.raw(&[1, b'h']);
                let mut out = Vec::new();
                legacy_rdb::ValueWriter {
                    out: &mut out,
                    compress: true,
                }
                .value(&Encoded::Hash(many));
                f.raw(&out);
            }),
        ),
        (
            "database 16",
            one(10, &|f| {
                f.select_db(16);
            }),
        ),
        (
            "unknown value type",
            one(10, &|f| {
                f.raw(&[20, 1, b'k', 1, b'v']);
            }),
        ),
        (
            "intset of width 3",
            one(10, &|f| {
                f.raw(&[11, 1, b'k']);
                let blob = [3u8, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3];
                f.raw(&[blob.len() as u8]);
                f.raw(&blob);
            }),
        ),
        (
            "empty intset",
            one(10, &|f| {
                f.key(b"k", &Encoded::Intset(Vec::new(), 2));
            }),
        ),
        (
            "ziplist with a wrong byte count",
            one(10, &|f| {
                let mut blob = legacy_rdb::ziplist(&strings(["a", "b"]), false);
                blob[0] += 1;
                f.raw(&[10, 1, b'k', blob.len() as u8]);
                f.raw(&blob);
            }),
        ),
        (
            "quicklist node of container 3",
            one(10, &|f| {
                let blob = legacy_rdb::listpack(&strings(["a"]));
                f.raw(&[18, 1, b'k', 1, 3, blob.len() as u8]);
                f.raw(&blob);
            }),
        ),
        (
            "LZF that expands to the wrong length",
            one(10, &|f| {
                f.raw(&[0, 1, b'k', 0xc3, 4, 10, 2, b'a', b'b', b'c']);
            }),
        ),
        (
            "zipmap without its end",
            one(2, &|f| {
                let mut blob = legacy_rdb::zipmap(&pairs(&[("a", "b")]), 0);
                blob.pop();
                f.raw(&[9, 1, b'k', blob.len() as u8]);
                f.raw(&blob);
            }),
        ),
        (
            "string longer than the file",
            one(10, &|f| {
                f.raw(&[0, 1, b'k', 0x80, 0, 0x10, 0, 0, b'x']);
            }),
        ),
        (
            "length of unknown encoding",
            one(10, &|f| {
                f.raw(&[0, 1, b'k', 0x82, 0, 0, 0, 1]);
            }),
        ),
        (
            "string of unknown special encoding",
            one(10, &|f| {
                f.raw(&[0, 1, b'k', 0xc4, 0]);
            }),
        ),
    ];
    let (valid, _) = legacy_file(10, now_ms());
    let mut signature = valid.clone();
    signature[0] = b'X';
    cases.push(("wrong signature", signature));
    let mut version = valid.clone();
    version[8] = b'1';
    cases.push(("version 11", version));
    let mut zero = valid;
    zero[5..9].copy_from_slice(b"0000");
    cases.push(("version 0", zero));
    cases.push(("empty file", Vec::new()));

    for (what, file) in &cases {
        assert_refused(Kind::Redis, file, &[], what);
    }
    {
        let kind = subject();
        for (what, file) in &cases {
            assert_refused(kind, file, &[], what);
        }
    }
}

// ---------------------------------------------------------------------------
// 4. vitrine writes, Redis loads
// ---------------------------------------------------------------------------

/// The subject, populated with the fixture, saves (with `extra` start-up
/// arguments); redis-check-rdb accepts the file; Redis loads the same
/// dataset; the subject reloading its own file matches that Redis exactly.
fn subject_writes_redis_loads(extra: &[&str]) -> Vec<u8> {
    let kind = subject();
    let mut args = vec!["--enable-debug-command", "yes"];
    if kind == Kind::Vitrine {
        args.clear();
    }
    args.extend_from_slice(extra);
    let server = Server::start(kind, &args);
    let mut conn = server.connect();
    populate(&mut conn, &fixture(now_ms()));
    let saved = Dataset::read(&mut conn);
    let file = save(&server, &mut conn);
    assert_clean(&server);
    check_rdb(&file);
    let redis = load(Kind::Redis, &file, &[]);
    let loaded = Dataset::read_port(redis.port);
    assert_same(
        &saved.normalized(),
        name(kind),
        &loaded.normalized(),
        "redis loading its file",
    );
    let reloaded = load(kind, &file, &[]);
    assert_same(
        &loaded,
        "redis loading the file",
        &Dataset::read_port(reloaded.port),
        name(kind),
    );
    file
}

#[test]
fn vitrine_dump_loads_in_redis() {
    if !common::redis_available() {
        return;
    }
    let file = subject_writes_redis_loads(&[]);
    assert_ne!(&file[file.len() - 8..], &[0; 8], "a checksum");
}

#[test]
fn vitrine_dump_without_compression_or_checksum_loads_in_redis() {
    if !common::redis_available() {
        return;
    }
    let args = ["--rdbcompression", "no", "--rdbchecksum", "no"];
    let file = subject_writes_redis_loads(&args);
    assert_eq!(&file[file.len() - 8..], &[0; 8], "no checksum");
}

// ---------------------------------------------------------------------------
// 5. DUMP / RESTORE
// ---------------------------------------------------------------------------

/// Every key of `from` as (db, key, absolute expiry, DUMP payload).
fn dump_all(from: &mut Conn) -> Vec<(u8, Vec<u8>, i64, Vec<u8>)> {
    let mut out = Vec::new();
    for db in 0..common::dataset::DATABASES {
        assert_eq!(from.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
        let names = Resp::parse(&from.cmd(&["KEYS", "*"])).strings();
        for chunk in names.chunks(128) {
            let mut commands = Vec::new();
            for name in chunk {
                commands.push(vec![&b"DUMP"[..], name]);
                commands.push(vec![&b"PEXPIRETIME"[..], name]);
            }
            let replies = pipeline(from, &commands);
            for (i, name) in chunk.iter().enumerate() {
                let payload = replies[i * 2].bytes();
                let expire = replies[i * 2 + 1].integer();
                out.push((db, name.clone(), expire, payload));
            }
        }
    }
    assert_eq!(from.cmd(&["SELECT", "0"]), b"+OK\r\n");
    out
}

/// RESTOREs every dumped key (ABSTTL keeps the exact expiry).
fn restore_all(into: &mut Conn, dumps: &[(u8, Vec<u8>, i64, Vec<u8>)]) {
    for db in 0..common::dataset::DATABASES {
        assert_eq!(into.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
        let mine: Vec<_> = dumps.iter().filter(|d| d.0 == db).collect();
        for chunk in mine.chunks(128) {
            let ttls: Vec<Vec<u8>> = chunk.iter().map(|d| d.2.max(0).to_string().into_bytes()).collect();
            let commands: Vec<Vec<&[u8]>> = chunk
                .iter()
                .zip(&ttls)
                .map(|(d, ttl)| vec![&b"RESTORE"[..], &d.1, ttl, &d.3, b"ABSTTL"])
                .collect();
            for (reply, d) in pipeline(into, &commands).iter().zip(chunk) {
                assert_eq!(reply.describe(), "+\"OK\"", "RESTORE of db{} {}", d.0, show(&d.1));
            }
        }
    }
    assert_eq!(into.cmd(&["SELECT", "0"]), b"+OK\r\n");
}

#[test]
fn dump_and_restore_between_servers() {
    if !common::redis_available() {
        return;
    }
    let commands = fixture(now_ms());
    let source = Server::start(Kind::Redis, &["--enable-debug-command", "yes"]);
    let mut source_conn = source.connect();
    populate(&mut source_conn, &commands);
    let original = Dataset::read(&mut source_conn);
    let dumps = dump_all(&mut source_conn);

    // Redis to Redis: the payloads carry everything.
    let redis = Server::start(Kind::Redis, &[]);
    let mut redis_conn = redis.connect();
    restore_all(&mut redis_conn, &dumps);
    let restored = Dataset::read(&mut redis_conn);
    assert_same(
        &original.normalized(),
        "redis",
        &restored.normalized(),
        "redis restored",
    );

    let kind = subject();
    // Redis to the subject.
    let server = Server::start(kind, &[]);
    let mut conn = server.connect();
    restore_all(&mut conn, &dumps);
    assert_same(&restored, "redis restored", &Dataset::read(&mut conn), name(kind));

    // The subject to Redis.
    let server = Server::start(kind, &[]);
    let mut conn = server.connect();
    populate(&mut conn, &commands);
    let populated = Dataset::read(&mut conn);
    let their_dumps = dump_all(&mut conn);
    let redis = Server::start(Kind::Redis, &[]);
    let mut redis_conn = redis.connect();
    restore_all(&mut redis_conn, &their_dumps);
    assert_same(
        &populated.normalized(),
        name(kind),
        &Dataset::read(&mut redis_conn).normalized(),
        "redis restored",
    );

    // Where Redis's encoding is deterministic, the payloads are the same
    // bytes: strings, listpacks, intsets, single-node quicklists.
    let theirs: std::collections::BTreeMap<(u8, Vec<u8>), Vec<u8>> = their_dumps
        .into_iter()
        .map(|(db, key, _, payload)| ((db, key), payload))
        .collect();
    let mut compared = 0;
    for (db, key, _, payload) in &dumps {
        let entry = &original.keys[&(*db, key.clone())];
        let deterministic = match entry.encoding.as_str() {
            "int" | "embstr" | "raw" | "listpack" | "intset" => true,
            "quicklist" => match &entry.data {
                Data::List(items) => items.iter().map(|i| i.len() + 11).sum::<usize>() < 4000,
                _ => false,
            },
            _ => false,
        };
        if deterministic {
            compared += 1;
            assert_eq!(
                show(&theirs[&(*db, key.clone())]),
                show(payload),
                "DUMP of db{db} {} ({}) differs",
                show(key),
                entry.encoding
            );
            assert_eq!(&theirs[&(*db, key.clone())], payload);
        }
    }
    assert!(compared > 50, "only {compared} payloads compared");
}

/// What a RESTORE-script step expects.
enum Expect {
    /// These exact reply bytes.
    Exactly(Vec<u8>),
    /// An integer in this range (times, counters that may tick).
    Within(i64, i64),
    /// Whatever Redis answers (compared byte for byte with the subject).
    SameAsRedis,
}

/// Runs the RESTORE script on a server; returns its replies.
fn run_restore_script(kind: Kind, script: &[(Vec<Vec<u8>>, Expect)]) -> Vec<Vec<u8>> {
    let server = Server::start(kind, &[]);
    let mut conn = server.connect();
    let mut replies = Vec::new();
    for (args, expect) in script {
        let args_ref: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let reply = conn.call(&args_ref);
        let label = show(&args.join(&b' '));
        match expect {
            Expect::Exactly(expected) => {
                assert_eq!(show(&reply), show(expected), "{kind:?}: {label}")
            }
            Expect::Within(low, high) => {
                let value = Resp::parse(&reply).integer();
                assert!(
                    (*low..=*high).contains(&value),
                    "{kind:?}: {label}: {value} not in {low}..={high}"
                );
            }
            Expect::SameAsRedis => {}
        }
        replies.push(reply);
    }
    assert_clean(&server);
    replies
}

#[test]
fn restore_options_and_errors() {
    if !common::redis_available() {
        return;
    }
    // Payloads: a string from this suite's writer as Redis 7.0 would dump
    // it, and a list; damaged variants of the string.
    let good = legacy_rdb::dump_payload(&Encoded::String(b("hello"), StrEnc::Auto), 10, true);
    let list = legacy_rdb::dump_payload(&Encoded::Quicklist2(vec![Node::Packed(strings(["a", "b"]))]), 10, true);
    let with_version = |version: u16, body: &[u8]| {
        let mut out = body.to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        let crc = legacy_rdb::crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    };
    let body = &good[..good.len() - 10];
    let future_version = with_version(11, body);
    let old_version = with_version(1, body);
    let mut bad_crc = good.clone();
    *bad_crc.last_mut().expect("not empty") ^= 0x40;
    let mut zero_crc = good.clone();
    let len = zero_crc.len();
    zero_crc[len - 8..].fill(0);
    let bad_body = with_version(10, &[0, 0x80, 0xff, 0xff, 0xff, 0xff, b'x']);
    let unknown_type = with_version(10, &[200, 1, b'x']);
    let empty_list = with_version(10, &[1, 0]);
    let trailing = with_version(10, &[0, 1, b'x', b'j', b'u', b'n', b'k']);
    let legacy_ziplist = legacy_rdb::dump_payload(&Encoded::ListZiplist(strings(["a", "1", "-70000"]), false), 6, true);
    let legacy_zipmap = legacy_rdb::dump_payload(&Encoded::HashZipmap(pairs(&[("f", "v")]), 2), 2, true);
    let future = (now_ms() + 3_600_000).to_string();

    use Expect::*;
    let bytes = |literal: &[u8]| literal.to_vec();
    let bulk = |payload: &[u8]| {
        let mut out = format!("${}\r\n", payload.len()).into_bytes();
        out.extend_from_slice(payload);
        out.extend_from_slice(b"\r\n");
        out
    };
    let step = |args: &[&[u8]], expect: Expect| -> (Vec<Vec<u8>>, Expect) {
        (args.iter().map(|a| a.to_vec()).collect(), expect)
    };
    let ok = Exactly(bytes(b"+OK\r\n"));
    let wrong = Exactly(bytes(b"-ERR DUMP payload version or checksum are wrong\r\n"));
    let script = vec![
        step(&[b"RESTORE", b"k", b"0", &good], Exactly(bytes(b"+OK\r\n"))),
        step(&[b"GET", b"k"], Exactly(bytes(b"$5\r\nhello\r\n"))),
        step(&[b"PTTL", b"k"], Exactly(bytes(b":-1\r\n"))),
        step(&[b"DUMP", b"k"], Exactly(bulk(&good))),
        step(
            &[b"RESTORE", b"k", b"0", &good],
            Exactly(bytes(b"-BUSYKEY Target key name already exists.\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", b"garbage"],
            Exactly(bytes(b"-BUSYKEY Target key name already exists.\r\n")),
        ),
        step(&[b"RESTORE", b"k", b"0", &good, b"REPLACE"], Exactly(bytes(b"+OK\r\n"))),
        step(&[b"RESTORE", b"k", b"0", &list, b"REPLACE"], Exactly(bytes(b"+OK\r\n"))),
        step(&[b"TYPE", b"k"], Exactly(bytes(b"+list\r\n"))),
        step(
            &[b"LRANGE", b"k", b"0", b"-1"],
            Exactly(bytes(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", future.as_bytes(), &good, b"REPLACE", b"ABSTTL"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(&[b"PEXPIRETIME", b"k"], SameAsRedis),
        step(
            &[b"RESTORE", b"k", b"100000", &good, b"REPLACE"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(&[b"PTTL", b"k"], Within(98_000, 100_000)),
        step(
            &[b"RESTORE", b"k", b"1", &good, b"REPLACE", b"ABSTTL"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(&[b"EXISTS", b"k"], Exactly(bytes(b":0\r\n"))),
        step(
            &[b"RESTORE", b"k", b"-1", &good],
            Exactly(bytes(b"-ERR Invalid TTL value, must be >= 0\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"abc", &good],
            Exactly(bytes(b"-ERR value is not an integer or out of range\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"IDLETIME", b"1000"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(&[b"OBJECT", b"IDLETIME", b"k"], Within(1000, 1005)),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"REPLACE", b"IDLETIME", b"-1"],
            Exactly(bytes(b"-ERR Invalid IDLETIME value, must be >= 0\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"REPLACE", b"IDLETIME", b"x"],
            Exactly(bytes(b"-ERR value is not an integer or out of range\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"REPLACE", b"FREQ", b"256"],
            Exactly(bytes(b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"REPLACE", b"FREQ", b"-1"],
            Exactly(bytes(b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n")),
        ),
        step(
            &[
                b"RESTORE",
                b"k",
                b"0",
                &good,
                b"REPLACE",
                b"IDLETIME",
                b"1",
                b"FREQ",
                b"1",
            ],
            Exactly(bytes(b"-ERR syntax error\r\n")),
        ),
        step(
            &[
                b"RESTORE",
                b"k",
                b"0",
                &good,
                b"REPLACE",
                b"FREQ",
                b"1",
                b"IDLETIME",
                b"1",
            ],
            Exactly(bytes(b"-ERR syntax error\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"BOGUS"],
            Exactly(bytes(b"-ERR syntax error\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"IDLETIME"],
            Exactly(bytes(b"-ERR syntax error\r\n")),
        ),
        step(
            &[b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lfu"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(
            &[b"RESTORE", b"k", b"0", &good, b"REPLACE", b"FREQ", b"100"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(&[b"OBJECT", b"FREQ", b"k"], Exactly(bytes(b":100\r\n"))),
        step(
            &[b"CONFIG", b"SET", b"maxmemory-policy", b"noeviction"],
            Exactly(bytes(b"+OK\r\n")),
        ),
        step(&[b"RESTORE", b"n", b"0", b"short"], wrong),
        step(
            &[b"RESTORE", b"n", b"0", &future_version],
            Exactly(bytes(b"-ERR DUMP payload version or checksum are wrong\r\n")),
        ),
        step(
            &[b"RESTORE", b"n", b"0", &bad_crc],
            Exactly(bytes(b"-ERR DUMP payload version or checksum are wrong\r\n")),
        ),
        step(
            &[b"RESTORE", b"n", b"0", &zero_crc],
            Exactly(bytes(b"-ERR DUMP payload version or checksum are wrong\r\n")),
        ),
        step(
            &[b"RESTORE", b"n", b"0", b""],
            Exactly(bytes(b"-ERR DUMP payload version or checksum are wrong\r\n")),
        ),
        step(
            &[b"RESTORE", b"n", b"0", &bad_body],
            Exactly(bytes(b"-ERR Bad data format\r\n")),
        ),
        step(
            &[b"RESTORE", b"n", b"0", &unknown_type],
            Exactly(bytes(b"-ERR Bad data format\r\n")),
        ),
        step(
            &[b"RESTORE", b"n", b"0", &empty_list],
            Exactly(bytes(b"-ERR Bad data format\r\n")),
        ),
        step(&[b"EXISTS", b"n"], Exactly(bytes(b":0\r\n"))),
        step(&[b"RESTORE", b"t", b"0", &trailing], SameAsRedis),
        step(&[b"GET", b"t"], SameAsRedis),
        step(&[b"RESTORE", b"old", b"0", &old_version], ok),
        step(&[b"GET", b"old"], Exactly(bytes(b"$5\r\nhello\r\n"))),
        step(&[b"RESTORE", b"zl", b"0", &legacy_ziplist], Exactly(bytes(b"+OK\r\n"))),
        step(
            &[b"LRANGE", b"zl", b"0", b"-1"],
            Exactly(bytes(b"*3\r\n$1\r\na\r\n$1\r\n1\r\n$6\r\n-70000\r\n")),
        ),
        step(&[b"OBJECT", b"ENCODING", b"zl"], Exactly(bytes(b"$9\r\nquicklist\r\n"))),
        step(&[b"RESTORE", b"zm", b"0", &legacy_zipmap], Exactly(bytes(b"+OK\r\n"))),
        step(&[b"HGETALL", b"zm"], Exactly(bytes(b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"))),
        step(&[b"OBJECT", b"ENCODING", b"zm"], Exactly(bytes(b"$8\r\nlistpack\r\n"))),
        step(&[b"DUMP", b"missing"], Exactly(bytes(b"$-1\r\n"))),
        step(
            &[b"RESTORE", b"k", b"0"],
            Exactly(bytes(b"-ERR wrong number of arguments for 'restore' command\r\n")),
        ),
        step(
            &[b"DUMP"],
            Exactly(bytes(b"-ERR wrong number of arguments for 'dump' command\r\n")),
        ),
    ];
    let redis = run_restore_script(Kind::Redis, &script);
    let kind = subject();
    let theirs = run_restore_script(kind, &script);
    for ((args, expect), (redis, theirs)) in script.iter().zip(redis.iter().zip(&theirs)) {
        if matches!(expect, SameAsRedis) {
            assert_eq!(
                show(theirs),
                show(redis),
                "{}: {kind:?} differs from redis",
                show(&args.join(&b' '))
            );
        }
    }
}

/// Every legacy value restores as a DUMP payload of its era, on Redis and
/// on the subject, to the same value.
#[test]
fn restore_accepts_every_legacy_encoding() {
    if !common::redis_available() {
        return;
    }
    let mut file = RdbBuilder::new(10);
    file.select_db(0);
    let mut values: Vec<(Vec<u8>, Encoded, u16)> = Vec::new();
    let mut add = |key: &str, value: Encoded, version: u16| {
        file.key(key.as_bytes(), &value);
        values.push((b(key), value, version));
    };
    add("s", Encoded::String(b("-12345"), StrEnc::Auto), 1);
    add("lzf", Encoded::String(vec![b'q'; 100], StrEnc::Lzf), 1);
    add("l1", Encoded::LinkedList(strings(["a", "b"])), 1);
    add("s2", Encoded::Set(strings(["x", "1"])), 1);
    add(
        "z3",
        Encoded::ZSetText {
            pairs: text_scores(),
            infinity_as_text: false,
        },
        1,
    );
    add("h4", Encoded::Hash(pairs(&[("f", "v")])), 1);
    add("z5", Encoded::ZSet2(text_scores()), 8);
    add("h9", Encoded::HashZipmap(pairs(&[("f", "v"), ("g", "w")]), 1), 2);
    add("l10", Encoded::ListZiplist(list_elements(), false), 2);
    add("s11", Encoded::Intset(vec![5, -3, 1 << 33], 8), 2);
    add("z12", Encoded::ZSetZiplist(text_scores()), 3);
    add("h13", Encoded::HashZiplist(pairs(&[("a", "1"), ("b", "2")])), 4);
    add("l14", Encoded::Quicklist(vec![strings(["a"]), strings(["b", "2"])]), 7);
    add("h16", Encoded::HashListpack(pairs(&[("a", "1"), ("b", "x")])), 10);
    add("z17", Encoded::ZSetListpack(text_scores()), 10);
    add(
        "l18",
        Encoded::Quicklist2(vec![Node::Packed(strings(["a", "1"])), Node::Plain(vec![b'p'; 9000])]),
        10,
    );
    let (_, expected) = file.finish(Checksum::Valid);

    let run = |kind: Kind| -> Dataset {
        let server = Server::start(kind, &[]);
        let mut conn = server.connect();
        for (key, value, version) in &values {
            let payload = legacy_rdb::dump_payload(value, *version, true);
            let reply = conn.call(&[b"RESTORE", key, b"0", &payload]);
            assert_eq!(reply, b"+OK\r\n", "{kind:?}: RESTORE {}", show(key));
        }
        Dataset::read(&mut conn)
    };
    let redis = run(Kind::Redis);
    assert_same(&expected.normalized(), "payloads", &redis.normalized(), "redis");
    {
        let kind = subject();
        assert_same(&redis, "redis", &run(kind), name(kind));
    }
}

// ---------------------------------------------------------------------------
// 6. Corrupt files
// ---------------------------------------------------------------------------

/// What a server did with a damaged file.
#[derive(Debug)]
enum Outcome {
    /// It started (with this dataset).
    Loaded(Dataset),
    /// It exited; its status code and log.
    Refused(Option<i32>, String),
    /// It started but failed to serve its data (crashed or panicked).
    Unreadable(String),
}

/// Starts `kind` on a damaged file. When it starts and `read` is set, the
/// whole dataset is read (a loader that accepted garbage must still serve
/// it without crashing); a failed read is reported as `Unreadable`.
fn outcome(kind: Kind, file: &[u8], read: bool) -> Outcome {
    let started = Instant::now();
    let result = match launch(kind, file, &[]) {
        Launch::Running(server) => {
            let dataset = if read {
                let port = server.port;
                std::panic::catch_unwind(move || Dataset::read_port(port))
                    .map_err(|_| "reading the dataset failed".to_string())
            } else {
                Ok(Dataset::default())
            };
            let log = server.log();
            match dataset {
                Ok(_) if log.contains("panicked") => Outcome::Unreadable(log),
                Ok(dataset) => Outcome::Loaded(dataset),
                Err(error) => Outcome::Unreadable(format!("{error}; log:\n{log}")),
            }
        }
        Launch::Exited { status, log } => Outcome::Refused(status.code(), log),
    };
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{kind:?} took {:?} on a damaged file",
        started.elapsed()
    );
    result
}

/// The damaged variants of `file`: truncations and single-byte changes
/// at offsets spread over the whole file.
fn damaged(file: &[u8], truncations: usize, flips: usize) -> Vec<(String, Vec<u8>)> {
    let len = file.len();
    let mut cases = Vec::new();
    let mut cuts: Vec<usize> = (0..truncations).map(|i| i * len / truncations).collect();
    cuts.extend([1, 5, 9, len - 9, len - 8, len - 1]);
    cuts.sort_unstable();
    cuts.dedup();
    for cut in cuts {
        cases.push((format!("truncated to {cut} of {len} bytes"), file[..cut].to_vec()));
    }
    let mut state = Bytes(0x1234_5678_9abc_def1);
    let mut offsets: Vec<usize> = (0..flips / 2).map(|i| i * len / (flips / 2)).collect();
    offsets.extend((0..flips - flips / 2).map(|_| (state.next() % len as u64) as usize));
    // The signature, the version digits, the first opcode, EOF and the
    // checksum.
    if flips > 0 {
        offsets.extend([0, 4, 5, 7, 8, 9, len - 9, len - 8, len - 1]);
    }
    offsets.sort_unstable();
    offsets.dedup();
    for (i, at) in offsets.into_iter().enumerate() {
        let mask = [0x01u8, 0x80, 0xff, 0x10][i % 4];
        let mut copy = file.to_vec();
        copy[at] ^= mask;
        cases.push((
            format!(
                "byte {at} of {len} xor {mask:#04x} ({:#04x} -> {:#04x})",
                file[at], copy[at]
            ),
            copy,
        ));
    }
    cases
}

/// Runs Redis (the oracle) and the subject on every damaged file, four at
/// a time. Whatever Redis refuses, the subject must refuse, with exit code
/// 1, a known log line and no panic; whatever it starts on, it must serve
/// without crashing. `strict` (files with a checksum) adds: what Redis
/// loads, the subject loads identically, and Redis loads nothing damaged
/// but in the version digits (see below).
fn check_damaged(file: &[u8], cases: &[(String, Vec<u8>)], strict: bool) {
    let subject = subject();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let redis_accepted = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some((what, damaged)) = cases.get(index) else {
                    break;
                };
                // Redis without a checksum may load garbage it then crashes
                // on: read its data only when the checksum vouches for it.
                let oracle = outcome(Kind::Redis, damaged, strict);
                if let Outcome::Loaded(_) = &oracle {
                    redis_accepted.lock().expect("lock").push(what.clone());
                }
                let kind = subject;
                let theirs = outcome(kind, damaged, true);
                let problem = match (&oracle, &theirs) {
                    (_, Outcome::Unreadable(log)) => Some(format!("started but crashed: {log}")),
                    (Outcome::Unreadable(log), _) => Some(format!("redis crashed: {log}")),
                    (Outcome::Refused(..), Outcome::Loaded(_)) => {
                        Some("started although redis refused the file".to_string())
                    }
                    (Outcome::Refused(..), Outcome::Refused(code, log)) => {
                        if kind == Kind::Vitrine && *code != Some(1) {
                            Some(format!("exit code {code:?}, log:\n{log}"))
                        } else if log.contains("panicked") {
                            Some(format!("panicked:\n{log}"))
                        } else if !REFUSAL_PHRASES.iter().any(|p| log.contains(p)) {
                            Some(format!("no known refusal message:\n{log}"))
                        } else {
                            None
                        }
                    }
                    (Outcome::Loaded(redis), Outcome::Loaded(loaded)) => {
                        if strict {
                            redis
                                .diff("redis", loaded, name(kind))
                                .map(|diff| format!("loaded differently:\n{diff}"))
                        } else {
                            None
                        }
                    }
                    (Outcome::Loaded(_), Outcome::Refused(code, log)) => {
                        if strict {
                            Some(format!("refused ({code:?}) what redis loads:\n{log}"))
                        } else if log.contains("panicked") {
                            Some(format!("panicked:\n{log}"))
                        } else {
                            None
                        }
                    }
                };
                if let Some(problem) = problem {
                    failures.lock().expect("lock").push(format!("{what}: {problem}"));
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    assert!(
        failures.is_empty(),
        "{} of {} damaged files mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let accepted = redis_accepted.into_inner().expect("lock");
    eprintln!(
        "{} damaged variants of a {}-byte file; redis accepted {}: {accepted:?}",
        cases.len(),
        file.len(),
        accepted.len()
    );
    if strict {
        // With a checksum, only a change in the version digits can make
        // another valid file: Redis reads them with atoi, so "REDIS001?"
        // is version 1 (no checksum) and "REDIS 010" version 10.
        for what in &accepted {
            assert!(
                what.starts_with("byte 5 ") || what.starts_with("byte 8 "),
                "redis accepted a damaged file with a checksum: {what}"
            );
        }
    }
}

/// A small Redis dump: the small fixture in a few databases.
fn small_dump(start: &[&str]) -> Vec<u8> {
    let commands: Vec<FixtureCommand> = small_fixture(now_ms())
        .into_iter()
        .filter(|c| !c.args.get(1).is_some_and(|k| k.starts_with(b"list:plain")))
        .collect();
    let setup = SaveSetup {
        start,
        ..SaveSetup::default()
    };
    let (_server, _, file) = redis_saved(&commands, &setup);
    file
}

#[test]
fn corrupt_files_with_checksum_are_refused() {
    if !common::redis_available() {
        return;
    }
    let file = small_dump(&[]);
    let cases = damaged(&file, 40, 40);
    check_damaged(&file, &cases, true);
}

#[test]
fn corrupt_files_without_checksum_never_crash() {
    if !common::redis_available() {
        return;
    }
    let file = small_dump(&["--rdbchecksum", "no"]);
    assert_eq!(&file[file.len() - 8..], &[0; 8]);
    let cases: Vec<_> = damaged(&file, 0, 40)
        .into_iter()
        .filter(|(what, _)| what.starts_with("byte"))
        .collect();
    check_damaged(&file, &cases, false);
}

// ---------------------------------------------------------------------------
// The writer's own checks
// ---------------------------------------------------------------------------

#[test]
fn crc64_matches_redis_test_vector() {
    assert_eq!(legacy_rdb::crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
}

#[test]
fn lzf_writer_round_trips() {
    let mut state = Bytes(7);
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"a".to_vec(),
        vec![b'z'; 10_000],
        b"abcabcabcabcabcabcabcabc".to_vec(),
        state.random(5000),
    ];
    let mut text = Vec::new();
    for i in 0..5000 {
        text.extend_from_slice(format!("{} ", i % 300).as_bytes());
    }
    inputs.push(text);
    inputs.push(distant_repeat());
    for input in inputs {
        for stream in [legacy_rdb::lzf_compress(&input), legacy_rdb::lzf_literal_only(&input)] {
            assert_eq!(
                legacy_rdb::lzf_decompress(&stream, input.len()).as_deref(),
                Some(&input[..])
            );
        }
    }
    assert!(legacy_rdb::lzf_compress(&[b'z'; 10_000]).len() < 200);
    let distant = distant_repeat();
    assert!(legacy_rdb::lzf_compress(&distant).len() < distant.len());
}
