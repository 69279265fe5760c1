//! What the command table says about each command: arity, flags, ACL
//! categories, key positions and documentation, in the shape `COMMAND`,
//! `COMMAND INFO` and `COMMAND DOCS` report (Redis 7.0's `commands.def`).

use super::Ctx;
use crate::resp::reply::Reply;
use crate::resp::request::Args;

/// A command's implementation: parse `args`, run against `ctx`, reply into
/// `reply`. Errors are replies; a handler never panics on user input.
pub type Handler = fn(&mut Ctx<'_>, Args<'_>, &mut Reply);

/// Command flags (`CMD_*`). Names are those `COMMAND INFO` prints.
pub mod flag {
    /// May modify the keyspace.
    pub const WRITE: u64 = 1 << 0;
    /// Only reads data.
    pub const READONLY: u64 = 1 << 1;
    /// May grow memory: refused when out of memory.
    pub const DENYOOM: u64 = 1 << 2;
    /// An administrative command.
    pub const ADMIN: u64 = 1 << 4;
    /// A pub/sub command.
    pub const PUBSUB: u64 = 1 << 5;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u64 = 1 << 6;
    /// May block the client.
    pub const BLOCKING: u64 = 1 << 8;
    /// Allowed while loading the dataset.
    pub const LOADING: u64 = 1 << 9;
    /// Allowed on a replica with stale data.
    pub const STALE: u64 = 1 << 10;
    /// Not shown in MONITOR.
    pub const SKIP_MONITOR: u64 = 1 << 11;
    /// Not recorded in the slow log.
    pub const SKIP_SLOWLOG: u64 = 1 << 12;
    /// Cluster ASKING.
    pub const ASKING: u64 = 1 << 13;
    /// O(1) or O(log N).
    pub const FAST: u64 = 1 << 14;
    /// Allowed before authentication.
    pub const NO_AUTH: u64 = 1 << 15;
    /// May replicate even without WRITE (hidden in COMMAND INFO).
    pub const MAY_REPLICATE: u64 = 1 << 16;
    /// Keys are optional.
    pub const NO_MANDATORY_KEYS: u64 = 1 << 19;
    /// Refused inside MULTI.
    pub const NO_ASYNC_LOADING: u64 = 1 << 23;
    /// Refused inside MULTI.
    pub const NO_MULTI: u64 = 1 << 24;
    /// Key positions depend on the arguments.
    pub const MOVABLE_KEYS: u64 = 1 << 25;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: u64 = 1 << 26;
    /// Guarded by `enable-debug-command` (hidden in COMMAND INFO).
    pub const PROTECTED: u64 = 1 << 20;
    /// May lazily expire keys it was not given (SCAN, RANDOMKEY): their
    /// DELs are propagated one by one, not as a transaction. Hidden in
    /// COMMAND INFO, as in Redis.
    pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;

    /// The flags `COMMAND INFO` shows, in Redis's order.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (`@read`, `@string`, …), in Redis's reply order.
pub mod acl {
    /// `@keyspace`
    pub const KEYSPACE: u64 = 1 << 0;
    /// `@read`
    pub const READ: u64 = 1 << 1;
    /// `@write`
    pub const WRITE: u64 = 1 << 2;
    /// `@set`
    pub const SET: u64 = 1 << 3;
    /// `@sortedset`
    pub const SORTEDSET: u64 = 1 << 4;
    /// `@list`
    pub const LIST: u64 = 1 << 5;
    /// `@hash`
    pub const HASH: u64 = 1 << 6;
    /// `@string`
    pub const STRING: u64 = 1 << 7;
    /// `@bitmap`
    pub const BITMAP: u64 = 1 << 8;
    /// `@hyperloglog`
    pub const HYPERLOGLOG: u64 = 1 << 9;
    /// `@geo`
    pub const GEO: u64 = 1 << 10;
    /// `@stream`
    pub const STREAM: u64 = 1 << 11;
    /// `@pubsub`
    pub const PUBSUB: u64 = 1 << 12;
    /// `@admin`
    pub const ADMIN: u64 = 1 << 13;
    /// `@fast`
    pub const FAST: u64 = 1 << 14;
    /// `@slow`
    pub const SLOW: u64 = 1 << 15;
    /// `@blocking`
    pub const BLOCKING: u64 = 1 << 16;
    /// `@dangerous`
    pub const DANGEROUS: u64 = 1 << 17;
    /// `@connection`
    pub const CONNECTION: u64 = 1 << 18;
    /// `@transaction`
    pub const TRANSACTION: u64 = 1 << 19;
    /// `@scripting`
    pub const SCRIPTING: u64 = 1 << 20;

    /// Category names in reply order.
    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// Key-spec flags (`CMD_KEY_*`), in `COMMAND INFO` order.
pub mod key_flag {
    /// Read-only access to the key.
    pub const RO: u64 = 1 << 0;
    /// Read-write.
    pub const RW: u64 = 1 << 1;
    /// Overwrite.
    pub const OW: u64 = 1 << 2;
    /// Remove.
    pub const RM: u64 = 1 << 3;
    /// Returns user data.
    pub const ACCESS: u64 = 1 << 4;
    /// Updates data.
    pub const UPDATE: u64 = 1 << 5;
    /// Adds data.
    pub const INSERT: u64 = 1 << 6;
    /// Deletes data.
    pub const DELETE: u64 = 1 << 7;
    /// Not actually a key.
    pub const NOT_KEY: u64 = 1 << 8;
    /// May miss keys.
    pub const INCOMPLETE: u64 = 1 << 9;
    /// Flags depend on arguments.
    pub const VARIABLE_FLAGS: u64 = 1 << 10;

    /// Names in reply order.
    pub const NAMES: &[(u64, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Where the search for keys begins.
#[derive(Clone, Copy, Debug)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// After a keyword, searching from `start_from` (negative: from the end).
    Keyword(&'static str, i32),
    /// Not describable.
    Unknown,
}

/// How keys are found from the beginning.
#[derive(Clone, Copy, Debug)]
pub enum FindKeys {
    /// `last_key` relative (-1: to the end), every `step`, `limit` divisor.
    Range(i32, i32, i32),
    /// The count is at `keynum_index`, keys start at `first_key`, every `step`.
    Keynum(i32, i32, i32),
    /// Not describable.
    Unknown,
}

/// One key specification (Redis 7 key-specs).
#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    /// `key_flag::*`.
    pub flags: u64,
    /// Where to begin.
    pub begin: BeginSearch,
    /// How to find keys.
    pub find: FindKeys,
    /// Optional notes.
    pub notes: Option<&'static str>,
}

impl KeySpec {
    /// One key at `index`.
    pub const fn one(index: i32, flags: u64) -> KeySpec {
        KeySpec {
            flags,
            begin: BeginSearch::Index(index),
            find: FindKeys::Range(0, 1, 0),
            notes: None,
        }
    }

    /// Keys from `index` to the end of the arguments (`last` relative,
    /// e.g. -1), every `step`.
    pub const fn range(index: i32, last: i32, step: i32, limit: i32, flags: u64) -> KeySpec {
        KeySpec {
            flags,
            begin: BeginSearch::Index(index),
            find: FindKeys::Range(last, step, limit),
            notes: None,
        }
    }

    /// A count at `index` followed by that many keys.
    pub const fn keynum(index: i32, flags: u64) -> KeySpec {
        KeySpec {
            flags,
            begin: BeginSearch::Index(index),
            find: FindKeys::Keynum(0, 1, 1),
            notes: None,
        }
    }

    /// Any shape.
    pub const fn new(begin: BeginSearch, find: FindKeys, flags: u64) -> KeySpec {
        KeySpec {
            flags,
            begin,
            find,
            notes: None,
        }
    }

    /// With notes.
    pub const fn notes(mut self, notes: &'static str) -> KeySpec {
        self.notes = Some(notes);
        self
    }
}

/// The documentation group (`COMMAND DOCS` `group`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// `generic` (keys).
    Generic,
    /// `string`.
    String,
    /// `list`.
    List,
    /// `set`.
    Set,
    /// `sorted-set`.
    SortedSet,
    /// `hash`.
    Hash,
    /// `pubsub`.
    Pubsub,
    /// `transactions`.
    Transactions,
    /// `connection`.
    Connection,
    /// `server`.
    Server,
}

impl Group {
    /// The name COMMAND DOCS prints.
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Pubsub => "pubsub",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
        }
    }
}

/// A command (or subcommand) of the table.
#[derive(Clone, Copy)]
pub struct Command {
    /// Lower-case name (`get`, or `get` under `config`).
    pub name: &'static str,
    /// Redis arity: exact count if positive, minimum count if negative.
    pub arity: i32,
    /// `flag::*`.
    pub flags: u64,
    /// Explicit ACL categories; implicit ones come from the flags.
    pub acl: u64,
    /// Key specifications.
    pub keys: &'static [KeySpec],
    /// The implementation; `None` for a container of subcommands.
    pub handler: Option<Handler>,
    /// Subcommands (`CONFIG GET`, …).
    pub subcommands: &'static [Command],
    /// Documentation group.
    pub group: Group,
    /// First Redis version that had it.
    pub since: &'static str,
    /// Time complexity.
    pub complexity: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Hints for clients (`nondeterministic_output`, …).
    pub tips: &'static [&'static str],
    /// Deprecated since this version, with its replacement.
    pub deprecated: Option<(&'static str, &'static str)>,
    /// Finds the keys where the key specs cannot (SORT's STORE may be
    /// anywhere): argument positions with their `key_flag::*`.
    pub getkeys: Option<GetKeys>,
}

/// A command's own key finder; see [`Command::getkeys`].
pub type GetKeys = fn(crate::resp::request::Args<'_>) -> alloc::vec::Vec<(usize, u64)>;

/// The read-only commands the browser replica runs: its API's reads
/// (`vitrine-web`'s `get`, `hgetall`, `scan` …). Without the `server`
/// feature every other read-only command is left out, and its code with
/// it: a master never propagates a read, and a page has no way to send
/// one.
const BROWSER_READS: &[&str] = &[
    "dbsize",
    "exists",
    "get",
    "hget",
    "hgetall",
    "llen",
    "lrange",
    "pttl",
    "scan",
    "scard",
    "sismember",
    "smembers",
    "ttl",
    "type",
    "zcard",
    "zrange",
    "zscore",
];

/// Whether this build has the command `name` with `flags` (see
/// [`BROWSER_READS`]).
const fn built(name: &str, flags: u64) -> bool {
    if cfg!(feature = "server") || flags & flag::READONLY == 0 {
        return true;
    }
    let mut i = 0;
    while i < BROWSER_READS.len() {
        if same_name(BROWSER_READS[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// `a == b`, at compile time.
const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Command {
    /// A command with the given name, arity and flags, in `group`. A
    /// command this build leaves out (see [`BROWSER_READS`]) gets no
    /// handler, so its code is not linked, and no table entry.
    pub const fn new(name: &'static str, arity: i32, flags: u64, group: Group, handler: Handler) -> Command {
        Command {
            name,
            arity,
            flags,
            acl: 0,
            keys: &[],
            handler: if built(name, flags) { Some(handler) } else { None },
            subcommands: &[],
            group,
            since: "1.0.0",
            complexity: "O(1)",
            summary: "",
            tips: &[],
            deprecated: None,
            getkeys: None,
        }
    }

    /// Whether this build has the command: it has a handler or
    /// subcommands (see [`Command::new`]).
    pub fn is_built(&self) -> bool {
        self.handler.is_some() || !self.subcommands.is_empty()
    }

    /// A container whose work is done by its subcommands.
    pub const fn container(name: &'static str, group: Group, subcommands: &'static [Command]) -> Command {
        Command {
            name,
            arity: -2,
            flags: 0,
            acl: 0,
            keys: &[],
            handler: None,
            subcommands,
            group,
            since: "1.0.0",
            complexity: "Depends on subcommand.",
            summary: "",
            tips: &[],
            deprecated: None,
            getkeys: None,
        }
    }

    /// Gives a command with its own handler subcommands too (COMMAND: run
    /// alone it lists everything, `COMMAND INFO` is a subcommand).
    pub const fn with_subcommands(mut self, subcommands: &'static [Command]) -> Command {
        self.subcommands = subcommands;
        self
    }

    /// Sets the key finder for arguments the key specs cannot describe.
    pub const fn getkeys(mut self, getkeys: GetKeys) -> Command {
        self.getkeys = Some(getkeys);
        self
    }

    /// Adds explicit ACL categories.
    pub const fn acl(mut self, categories: u64) -> Command {
        self.acl |= categories;
        self
    }

    /// Sets the key specifications.
    pub const fn keys(mut self, keys: &'static [KeySpec]) -> Command {
        self.keys = keys;
        self
    }

    /// Sets the documentation (`COMMAND DOCS`). Without the `server`
    /// feature there is no COMMAND to show it, and the text (20 KB) stays
    /// out of the browser's download.
    pub const fn doc(mut self, since: &'static str, complexity: &'static str, summary: &'static str) -> Command {
        if cfg!(feature = "server") {
            self.since = since;
            self.complexity = complexity;
            self.summary = summary;
        }
        self
    }

    /// Sets the client tips.
    pub const fn tips(mut self, tips: &'static [&'static str]) -> Command {
        self.tips = tips;
        self
    }

    /// Marks as deprecated since `version`, replaced by `replacement`.
    pub const fn deprecated(mut self, version: &'static str, replacement: &'static str) -> Command {
        self.deprecated = Some((version, replacement));
        self
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity > 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Whether any of `flags` is set.
    #[inline]
    pub fn has(&self, flags: u64) -> bool {
        self.flags & flags != 0
    }

    /// ACL categories including the implicit ones (`setImplicitACLCategories`).
    pub fn acl_categories(&self) -> u64 {
        let mut categories = self.acl;
        if self.has(flag::WRITE) {
            categories |= acl::WRITE;
        }
        if self.has(flag::READONLY) && categories & acl::SCRIPTING == 0 {
            categories |= acl::READ;
        }
        if self.has(flag::ADMIN) {
            categories |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flag::PUBSUB) {
            categories |= acl::PUBSUB;
        }
        if self.has(flag::FAST) {
            categories |= acl::FAST;
        }
        if self.has(flag::BLOCKING) {
            categories |= acl::BLOCKING;
        }
        if categories & acl::FAST == 0 {
            categories |= acl::SLOW;
        }
        categories
    }

    /// Flags including the derived `movablekeys` (`populateCommandLegacyRangeSpec`).
    pub fn effective_flags(&self) -> u64 {
        self.flags | if self.legacy_range().1 { flag::MOVABLE_KEYS } else { 0 }
    }

    /// `(first, last, step)` of the legacy key range, and whether keys are
    /// "movable" (not all describable by that range).
    pub fn legacy_range(&self) -> ((i32, i32, i32), bool) {
        let specs = self.keys;
        if specs.is_empty() {
            return ((0, 0, 0), false);
        }
        if let [KeySpec {
            begin: BeginSearch::Index(pos),
            find: FindKeys::Range(last, step, _),
            flags,
            ..
        }] = specs
        {
            let last_abs = if *last >= 0 { last + pos } else { *last };
            return ((*pos, last_abs, *step), flags & key_flag::INCOMPLETE != 0);
        }
        let mut movable = false;
        let mut first = i32::MAX;
        let mut last: i32 = 0;
        let mut prev_last = 0;
        for spec in specs {
            let (BeginSearch::Index(pos), FindKeys::Range(spec_last, step, _)) = (spec.begin, spec.find) else {
                movable = true;
                continue;
            };
            if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
                movable = true;
                continue;
            }
            if spec.flags & key_flag::INCOMPLETE != 0 {
                movable = true;
            }
            first = first.min(pos);
            let last_abs = if spec_last >= 0 { spec_last + pos } else { spec_last };
            last = if (last as u32) >= (last_abs as u32) {
                last
            } else {
                last_abs
            };
            prev_last = last;
        }
        if first == i32::MAX {
            return ((0, 0, 0), true);
        }
        ((first, last, 1), movable)
    }
}
