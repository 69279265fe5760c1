//! The table of Redis 7.0's configuration directives (as `config.c`
//! declares them): name, alias, type and bounds, default, and flags.
//! `NOT_ACTIVE` marks directives whose subsystem vitrine does not run yet.

use super::directive_flag::{HIDDEN, IMMUTABLE, MULTI_ARG, NOT_ACTIVE, PROTECTED, SENSITIVE};
use super::special::Special;
use super::{Directive, Kind, Numeric};

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;

const BOOL: Kind = Kind::Bool;
const TEXT: Kind = Kind::Text;
const NONE: u32 = 0;

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int {
        min,
        max,
        numeric: Numeric::Plain,
        unsigned: false,
    }
}

const fn uint(min: i64, max: i64) -> Kind {
    Kind::Int {
        min,
        max,
        numeric: Numeric::Plain,
        unsigned: true,
    }
}

const fn mem(min: i64, max: i64) -> Kind {
    Kind::Int {
        min,
        max,
        numeric: Numeric::Memory,
        unsigned: false,
    }
}

const fn umem(min: i64, max: i64) -> Kind {
    Kind::Int {
        min,
        max,
        numeric: Numeric::Memory,
        unsigned: true,
    }
}

const MAXMEMORY_POLICIES: &[(&str, i64)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];

/// Whether a `maxmemory-policy` value is an LRU policy.
pub fn policy_is_lru(policy: i64) -> bool {
    policy == 0 || policy == 4
}

/// Whether a `maxmemory-policy` value is an LFU policy.
pub fn policy_is_lfu(policy: i64) -> bool {
    policy == 1 || policy == 5
}

const SYSLOG_FACILITIES: &[(&str, i64)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
/// `loglevel` values; the number is the Redis verbosity (0 = debug).
pub const LOG_LEVELS: &[(&str, i64)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, i64)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
/// `appendfsync` values.
pub const FSYNC_POLICIES: &[(&str, i64)] = &[("everysec", 1), ("always", 2), ("no", 0)];
const SHUTDOWN_ON_SIGNAL: &[(&str, i64)] = &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];
const DISKLESS_LOAD: &[(&str, i64)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, i64)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// `enable-*-command` / `enable-protected-configs` values.
pub const PROTECTED_ACTION: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPES: &[(&str, i64)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, i64)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

macro_rules! directives {
    ($( $id:ident = $name:literal $(| $alias:literal)? => $kind:expr, $default:literal, $flags:expr; )*) => {
        /// Directive identifiers, in table order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(usize)]
        pub enum Id {
            $(
                #[doc = $name]
                $id,
            )*
        }

        impl Id {
            const ALL: &'static [Id] = &[$(Id::$id,)*];

            /// The directive at table position `index`.
            pub fn from_index(index: usize) -> Id {
                Self::ALL[index]
            }
        }

        /// Every directive, indexed by [`Id`].
        pub static DIRECTIVES: &[Directive] = &[
            $(
                Directive {
                    name: $name,
                    alias: directives!(@alias $($alias)?),
                    kind: $kind,
                    default: $default,
                    flags: $flags,
                },
            )*
        ];
    };
    (@alias) => { None };
    (@alias $alias:literal) => { Some($alias) };
}

directives! {
    // Booleans.
    Rdbchecksum = "rdbchecksum" => BOOL, "yes", IMMUTABLE;
    Daemonize = "daemonize" => BOOL, "no", IMMUTABLE;
    IoThreadsDoReads = "io-threads-do-reads" => BOOL, "no", IMMUTABLE | NOT_ACTIVE;
    AlwaysShowLogo = "always-show-logo" => BOOL, "no", IMMUTABLE | NOT_ACTIVE;
    ProtectedMode = "protected-mode" => BOOL, "yes", NONE;
    Rdbcompression = "rdbcompression" => BOOL, "yes", 0;
    RdbDelSyncFiles = "rdb-del-sync-files" => BOOL, "no", 0;
    Activerehashing = "activerehashing" => BOOL, "yes", NONE;
    StopWritesOnBgsaveError = "stop-writes-on-bgsave-error" => BOOL, "yes", 0;
    SetProcTitle = "set-proc-title" => BOOL, "yes", IMMUTABLE | NOT_ACTIVE;
    DynamicHz = "dynamic-hz" => BOOL, "yes", NOT_ACTIVE;
    LazyfreeLazyEviction = "lazyfree-lazy-eviction" => BOOL, "no", NOT_ACTIVE;
    LazyfreeLazyExpire = "lazyfree-lazy-expire" => BOOL, "no", NOT_ACTIVE;
    LazyfreeLazyServerDel = "lazyfree-lazy-server-del" => BOOL, "no", NOT_ACTIVE;
    LazyfreeLazyUserDel = "lazyfree-lazy-user-del" => BOOL, "no", NOT_ACTIVE;
    LazyfreeLazyUserFlush = "lazyfree-lazy-user-flush" => BOOL, "no", 0;
    ReplDisableTcpNodelay = "repl-disable-tcp-nodelay" => BOOL, "no", NOT_ACTIVE;
    ReplDisklessSync = "repl-diskless-sync" => BOOL, "yes", 0;
    AofRewriteIncrementalFsync = "aof-rewrite-incremental-fsync" => BOOL, "yes", NOT_ACTIVE;
    NoAppendfsyncOnRewrite = "no-appendfsync-on-rewrite" => BOOL, "no", 0;
    ClusterRequireFullCoverage = "cluster-require-full-coverage" => BOOL, "yes", NOT_ACTIVE;
    RdbSaveIncrementalFsync = "rdb-save-incremental-fsync" => BOOL, "yes", NOT_ACTIVE;
    AofLoadTruncated = "aof-load-truncated" => BOOL, "yes", 0;
    AofUseRdbPreamble = "aof-use-rdb-preamble" => BOOL, "yes", 0;
    AofTimestampEnabled = "aof-timestamp-enabled" => BOOL, "no", NOT_ACTIVE;
    ClusterReplicaNoFailover = "cluster-replica-no-failover" | "cluster-slave-no-failover" => BOOL, "no", NOT_ACTIVE;
    ReplicaLazyFlush = "replica-lazy-flush" | "slave-lazy-flush" => BOOL, "no", 0;
    ReplicaServeStaleData = "replica-serve-stale-data" | "slave-serve-stale-data" => BOOL, "yes", 0;
    ReplicaReadOnly = "replica-read-only" | "slave-read-only" => BOOL, "yes", 0;
    ReplicaIgnoreMaxmemory = "replica-ignore-maxmemory" | "slave-ignore-maxmemory" => BOOL, "yes", NOT_ACTIVE;
    JemallocBgThread = "jemalloc-bg-thread" => BOOL, "yes", NOT_ACTIVE;
    Activedefrag = "activedefrag" => BOOL, "no", NOT_ACTIVE;
    SyslogEnabled = "syslog-enabled" => BOOL, "no", IMMUTABLE | NOT_ACTIVE;
    ClusterEnabled = "cluster-enabled" => BOOL, "no", IMMUTABLE | NOT_ACTIVE;
    Appendonly = "appendonly" => BOOL, "no", 0;
    ClusterAllowReadsWhenDown = "cluster-allow-reads-when-down" => BOOL, "no", NOT_ACTIVE;
    ClusterAllowPubsubshardWhenDown = "cluster-allow-pubsubshard-when-down" => BOOL, "yes", NOT_ACTIVE;
    CrashLogEnabled = "crash-log-enabled" => BOOL, "yes", NOT_ACTIVE;
    CrashMemcheckEnabled = "crash-memcheck-enabled" => BOOL, "yes", NOT_ACTIVE;
    UseExitOnPanic = "use-exit-on-panic" => BOOL, "no", HIDDEN | NOT_ACTIVE;
    DisableThp = "disable-thp" => BOOL, "yes", IMMUTABLE | NOT_ACTIVE;
    ClusterAllowReplicaMigration = "cluster-allow-replica-migration" => BOOL, "yes", NOT_ACTIVE;
    ReplicaAnnounced = "replica-announced" => BOOL, "yes", 0;
    LatencyTracking = "latency-tracking" => BOOL, "yes", NOT_ACTIVE;
    AofDisableAutoGc = "aof-disable-auto-gc" => BOOL, "no", 0;
    ReplicaIgnoreDiskWriteErrors = "replica-ignore-disk-write-errors" => BOOL, "no", NOT_ACTIVE;
    TlsCluster = "tls-cluster" => BOOL, "no", NOT_ACTIVE;
    TlsReplication = "tls-replication" => BOOL, "no", NOT_ACTIVE;
    TlsPreferServerCiphers = "tls-prefer-server-ciphers" => BOOL, "no", NOT_ACTIVE;
    TlsSessionCaching = "tls-session-caching" => BOOL, "yes", NOT_ACTIVE;

    // Strings.
    Aclfile = "aclfile" => TEXT, "", IMMUTABLE | NOT_ACTIVE;
    Unixsocket = "unixsocket" => TEXT, "", IMMUTABLE | NOT_ACTIVE;
    Pidfile = "pidfile" => TEXT, "", IMMUTABLE;
    ReplicaAnnounceIp = "replica-announce-ip" | "slave-announce-ip" => TEXT, "", 0;
    Masteruser = "masteruser" => TEXT, "", SENSITIVE;
    ClusterAnnounceIp = "cluster-announce-ip" => TEXT, "", NOT_ACTIVE;
    ClusterConfigFile = "cluster-config-file" => TEXT, "nodes.conf", IMMUTABLE | NOT_ACTIVE;
    ClusterAnnounceHostname = "cluster-announce-hostname" => TEXT, "", NOT_ACTIVE;
    SyslogIdent = "syslog-ident" => TEXT, "redis", IMMUTABLE | NOT_ACTIVE;
    Dbfilename = "dbfilename" => TEXT, "dump.rdb", PROTECTED;
    Appendfilename = "appendfilename" => TEXT, "appendonly.aof", IMMUTABLE;
    Appenddirname = "appenddirname" => TEXT, "appendonlydir", IMMUTABLE;
    ServerCpulist = "server_cpulist" => TEXT, "", IMMUTABLE | NOT_ACTIVE;
    BioCpulist = "bio_cpulist" => TEXT, "", IMMUTABLE | NOT_ACTIVE;
    AofRewriteCpulist = "aof_rewrite_cpulist" => TEXT, "", IMMUTABLE | NOT_ACTIVE;
    BgsaveCpulist = "bgsave_cpulist" => TEXT, "", IMMUTABLE | NOT_ACTIVE;
    IgnoreWarnings = "ignore-warnings" => TEXT, "", NOT_ACTIVE;
    ProcTitleTemplate = "proc-title-template" => TEXT, "{title} {listen-addr} {server-mode}", NOT_ACTIVE;
    BindSourceAddr = "bind-source-addr" => TEXT, "", NOT_ACTIVE;
    Logfile = "logfile" => TEXT, "", IMMUTABLE;
    Masterauth = "masterauth" => TEXT, "", SENSITIVE;
    Requirepass = "requirepass" => TEXT, "", SENSITIVE;
    TlsCertFile = "tls-cert-file" => TEXT, "", NOT_ACTIVE;
    TlsKeyFile = "tls-key-file" => TEXT, "", NOT_ACTIVE;
    TlsKeyFilePass = "tls-key-file-pass" => TEXT, "", NOT_ACTIVE;
    TlsClientCertFile = "tls-client-cert-file" => TEXT, "", NOT_ACTIVE;
    TlsClientKeyFile = "tls-client-key-file" => TEXT, "", NOT_ACTIVE;
    TlsClientKeyFilePass = "tls-client-key-file-pass" => TEXT, "", NOT_ACTIVE;
    TlsDhParamsFile = "tls-dh-params-file" => TEXT, "", NOT_ACTIVE;
    TlsCaCertFile = "tls-ca-cert-file" => TEXT, "", NOT_ACTIVE;
    TlsCaCertDir = "tls-ca-cert-dir" => TEXT, "", NOT_ACTIVE;
    TlsProtocols = "tls-protocols" => TEXT, "", NOT_ACTIVE;
    TlsCiphers = "tls-ciphers" => TEXT, "", NOT_ACTIVE;
    TlsCiphersuites = "tls-ciphersuites" => TEXT, "", NOT_ACTIVE;

    // Enums.
    Supervised = "supervised" => Kind::Enum(SUPERVISED), "no", IMMUTABLE | NOT_ACTIVE;
    SyslogFacility = "syslog-facility" => Kind::Enum(SYSLOG_FACILITIES), "local0", IMMUTABLE | NOT_ACTIVE;
    ReplDisklessLoad = "repl-diskless-load" => Kind::Enum(DISKLESS_LOAD), "disabled", NONE;
    Loglevel = "loglevel" => Kind::Enum(LOG_LEVELS), "notice", NONE;
    MaxmemoryPolicy = "maxmemory-policy" => Kind::Enum(MAXMEMORY_POLICIES), "noeviction", NOT_ACTIVE;
    Appendfsync = "appendfsync" => Kind::Enum(FSYNC_POLICIES), "everysec", 0;
    OomScoreAdj = "oom-score-adj" => Kind::Enum(OOM_SCORE_ADJ), "no", NOT_ACTIVE;
    AclPubsubDefault = "acl-pubsub-default" => Kind::Enum(ACL_PUBSUB_DEFAULT), "resetchannels", NOT_ACTIVE;
    SanitizeDumpPayload = "sanitize-dump-payload" => Kind::Enum(SANITIZE_DUMP), "no", NOT_ACTIVE;
    EnableProtectedConfigs = "enable-protected-configs" => Kind::Enum(PROTECTED_ACTION), "no", IMMUTABLE;
    EnableDebugCommand = "enable-debug-command" => Kind::Enum(PROTECTED_ACTION), "no", IMMUTABLE;
    EnableModuleCommand = "enable-module-command" => Kind::Enum(PROTECTED_ACTION), "no", IMMUTABLE;
    ClusterPreferredEndpointType = "cluster-preferred-endpoint-type" => Kind::Enum(ENDPOINT_TYPES), "ip", NOT_ACTIVE;
    PropagationErrorBehavior = "propagation-error-behavior" => Kind::Enum(PROPAGATION_ERROR), "ignore", NOT_ACTIVE;
    ShutdownOnSigint = "shutdown-on-sigint" => Kind::Enum(SHUTDOWN_ON_SIGNAL), "default", MULTI_ARG;
    ShutdownOnSigterm = "shutdown-on-sigterm" => Kind::Enum(SHUTDOWN_ON_SIGNAL), "default", MULTI_ARG;
    TlsAuthClients = "tls-auth-clients" => Kind::Enum(TLS_AUTH_CLIENTS), "yes", NOT_ACTIVE;

    // Integers.
    Databases = "databases" => int(1, INT_MAX), "16", IMMUTABLE;
    Port = "port" => int(0, 65535), "6379", NONE;
    IoThreads = "io-threads" => int(1, 128), "1", IMMUTABLE | NOT_ACTIVE;
    AutoAofRewritePercentage = "auto-aof-rewrite-percentage" => int(0, INT_MAX), "100", 0;
    ClusterReplicaValidityFactor = "cluster-replica-validity-factor" | "cluster-slave-validity-factor" => int(0, INT_MAX), "10", NOT_ACTIVE;
    ListMaxListpackSize = "list-max-listpack-size" | "list-max-ziplist-size" => int(INT_MIN, INT_MAX), "-2", NONE;
    TcpKeepalive = "tcp-keepalive" => int(0, INT_MAX), "300", NONE;
    ClusterMigrationBarrier = "cluster-migration-barrier" => int(0, INT_MAX), "1", NOT_ACTIVE;
    ActiveDefragCycleMin = "active-defrag-cycle-min" => int(1, 99), "1", NOT_ACTIVE;
    ActiveDefragCycleMax = "active-defrag-cycle-max" => int(1, 99), "25", NOT_ACTIVE;
    ActiveDefragThresholdLower = "active-defrag-threshold-lower" => int(0, 1000), "10", NOT_ACTIVE;
    ActiveDefragThresholdUpper = "active-defrag-threshold-upper" => int(0, 1000), "100", NOT_ACTIVE;
    LfuLogFactor = "lfu-log-factor" => int(0, INT_MAX), "10", 0;
    LfuDecayTime = "lfu-decay-time" => int(0, INT_MAX), "1", 0;
    ReplicaPriority = "replica-priority" | "slave-priority" => int(0, INT_MAX), "100", 0;
    ReplDisklessSyncDelay = "repl-diskless-sync-delay" => int(0, INT_MAX), "5", 0;
    MaxmemorySamples = "maxmemory-samples" => int(1, INT_MAX), "5", NOT_ACTIVE;
    MaxmemoryEvictionTenacity = "maxmemory-eviction-tenacity" => int(0, 100), "10", NOT_ACTIVE;
    Timeout = "timeout" => int(0, INT_MAX), "0", NONE;
    ReplicaAnnouncePort = "replica-announce-port" | "slave-announce-port" => int(0, 65535), "0", 0;
    TcpBacklog = "tcp-backlog" => int(0, INT_MAX), "511", IMMUTABLE;
    ClusterPort = "cluster-port" => int(0, 65535), "0", IMMUTABLE | NOT_ACTIVE;
    ClusterAnnounceBusPort = "cluster-announce-bus-port" => int(0, 65535), "0", NOT_ACTIVE;
    ClusterAnnouncePort = "cluster-announce-port" => int(0, 65535), "0", NOT_ACTIVE;
    ClusterAnnounceTlsPort = "cluster-announce-tls-port" => int(0, 65535), "0", NOT_ACTIVE;
    ReplTimeout = "repl-timeout" => int(1, INT_MAX), "60", NONE;
    ReplPingReplicaPeriod = "repl-ping-replica-period" | "repl-ping-slave-period" => int(1, INT_MAX), "10", NONE;
    ListCompressDepth = "list-compress-depth" => int(0, INT_MAX), "0", NOT_ACTIVE;
    RdbKeySaveDelay = "rdb-key-save-delay" => int(INT_MIN, INT_MAX), "0", HIDDEN;
    KeyLoadDelay = "key-load-delay" => int(INT_MIN, INT_MAX), "0", HIDDEN | NOT_ACTIVE;
    ActiveExpireEffort = "active-expire-effort" => int(1, 10), "1", NONE;
    Hz = "hz" => int(0, INT_MAX), "10", NONE;
    MinReplicasToWrite = "min-replicas-to-write" | "min-slaves-to-write" => int(0, INT_MAX), "0", NONE;
    MinReplicasMaxLag = "min-replicas-max-lag" | "min-slaves-max-lag" => int(0, INT_MAX), "10", NONE;
    WatchdogPeriod = "watchdog-period" => int(0, INT_MAX), "0", HIDDEN | NOT_ACTIVE;
    ShutdownTimeout = "shutdown-timeout" => int(0, INT_MAX), "10", NOT_ACTIVE;
    ReplDisklessSyncMaxReplicas = "repl-diskless-sync-max-replicas" => int(0, INT_MAX), "0", 0;
    TlsPort = "tls-port" => int(0, 65535), "0", NOT_ACTIVE;
    TlsSessionCacheSize = "tls-session-cache-size" => int(0, INT_MAX), "20480", NOT_ACTIVE;
    TlsSessionCacheTimeout = "tls-session-cache-timeout" => int(0, INT_MAX), "300", NOT_ACTIVE;
    Maxclients = "maxclients" => uint(1, UINT_MAX), "10000", NONE;
    Unixsocketperm = "unixsocketperm" => Kind::Int { min: 0, max: 0o777, numeric: Numeric::Octal, unsigned: true }, "0", IMMUTABLE | NOT_ACTIVE;
    SocketMarkId = "socket-mark-id" => uint(0, UINT_MAX), "0", IMMUTABLE | NOT_ACTIVE;
    ActiveDefragMaxScanFields = "active-defrag-max-scan-fields" => uint(1, LONG_MAX), "1000", NOT_ACTIVE;
    SlowlogMaxLen = "slowlog-max-len" => uint(0, LONG_MAX), "128", NOT_ACTIVE;
    AcllogMaxLen = "acllog-max-len" => uint(0, LONG_MAX), "128", NOT_ACTIVE;
    BusyReplyThreshold = "busy-reply-threshold" | "lua-time-limit" => int(0, LONG_MAX), "5000", NOT_ACTIVE;
    ClusterNodeTimeout = "cluster-node-timeout" => int(0, LONG_MAX), "15000", NOT_ACTIVE;
    SlowlogLogSlowerThan = "slowlog-log-slower-than" => int(-1, LONG_MAX), "10000", NOT_ACTIVE;
    LatencyMonitorThreshold = "latency-monitor-threshold" => int(0, LONG_MAX), "0", NOT_ACTIVE;
    ProtoMaxBulkLen = "proto-max-bulk-len" => mem(1024 * 1024, LONG_MAX), "536870912", NONE;
    StreamNodeMaxEntries = "stream-node-max-entries" => int(0, LONG_MAX), "100", NOT_ACTIVE;
    ReplBacklogSize = "repl-backlog-size" => mem(1, LONG_MAX), "1048576", NONE;
    Maxmemory = "maxmemory" => umem(0, -1), "0", NOT_ACTIVE;
    ClusterLinkSendbufLimit = "cluster-link-sendbuf-limit" => umem(0, -1), "0", NOT_ACTIVE;
    HashMaxListpackEntries = "hash-max-listpack-entries" | "hash-max-ziplist-entries" => uint(0, LONG_MAX), "512", NONE;
    SetMaxIntsetEntries = "set-max-intset-entries" => uint(0, LONG_MAX), "512", NONE;
    ZsetMaxListpackEntries = "zset-max-listpack-entries" | "zset-max-ziplist-entries" => uint(0, LONG_MAX), "128", NONE;
    ActiveDefragIgnoreBytes = "active-defrag-ignore-bytes" => umem(1, LONG_MAX), "104857600", NOT_ACTIVE;
    HashMaxListpackValue = "hash-max-listpack-value" | "hash-max-ziplist-value" => umem(0, LONG_MAX), "64", NONE;
    StreamNodeMaxBytes = "stream-node-max-bytes" => umem(0, LONG_MAX), "4096", NOT_ACTIVE;
    ZsetMaxListpackValue = "zset-max-listpack-value" | "zset-max-ziplist-value" => umem(0, LONG_MAX), "64", NONE;
    HllSparseMaxBytes = "hll-sparse-max-bytes" => umem(0, LONG_MAX), "3000", NOT_ACTIVE;
    TrackingTableMaxKeys = "tracking-table-max-keys" => uint(0, LONG_MAX), "1000000", NOT_ACTIVE;
    ClientQueryBufferLimit = "client-query-buffer-limit" => umem(1024 * 1024, LONG_MAX), "1073741824", NONE;
    MaxmemoryClients = "maxmemory-clients" => Kind::Int { min: -100, max: LONG_MAX, numeric: Numeric::MemoryOrPercent, unsigned: false }, "0", NOT_ACTIVE;
    ReplBacklogTtl = "repl-backlog-ttl" => int(0, LONG_MAX), "3600", NONE;
    AutoAofRewriteMinSize = "auto-aof-rewrite-min-size" => mem(0, LONG_MAX), "67108864", 0;
    LoadingProcessEventsIntervalBytes = "loading-process-events-interval-bytes" => int(1024, INT_MAX), "2097152", HIDDEN | NOT_ACTIVE;

    // Special syntaxes.
    Dir = "dir" => TEXT, "", PROTECTED;
    Save = "save" => Kind::Special(Special::Save), "3600 1 300 100 60 10000", MULTI_ARG;
    ClientOutputBufferLimit = "client-output-buffer-limit" => Kind::Special(Special::OutputBufferLimit),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", MULTI_ARG;
    OomScoreAdjValues = "oom-score-adj-values" => Kind::Special(Special::OomScoreAdjValues), "0 200 800", MULTI_ARG | NOT_ACTIVE;
    NotifyKeyspaceEvents = "notify-keyspace-events" => Kind::Special(Special::NotifyKeyspaceEvents), "", NOT_ACTIVE;
    Bind = "bind" => Kind::Special(Special::Bind), "* -::*", MULTI_ARG;
    Replicaof = "replicaof" | "slaveof" => Kind::Special(Special::ReplicaOf), "no one", IMMUTABLE | MULTI_ARG;
    LatencyTrackingInfoPercentiles = "latency-tracking-info-percentiles" => Kind::Special(Special::Percentiles), "50 99 99.9", MULTI_ARG | NOT_ACTIVE;

    // vitrine's own: the WebSocket listener for browser replicas (not in
    // Redis; off unless `websocket-port` is set). Port and addresses are
    // fixed at start-up; the rest is read at each new connection.
    WebsocketPort = "websocket-port" => int(0, 65535), "0", IMMUTABLE;
    // Loopback only unless told otherwise, as Redis's shipped redis.conf
    // binds: a dashboard is exposed on purpose, never by default.
    WebsocketBind = "websocket-bind" => Kind::Special(Special::Bind), "127.0.0.1 -::1", IMMUTABLE | MULTI_ARG;
    WebsocketRequirepass = "websocket-requirepass" => TEXT, "", SENSITIVE;
    WebsocketAllowedOrigins = "websocket-allowed-origins" => Kind::Special(Special::Origins), "", MULTI_ARG;
    WebsocketMaxclients = "websocket-maxclients" => uint(1, UINT_MAX), "1000", NONE;
}
