//! `INFO`: the server's state in Redis 7.0's sections and field names.
//! Figures only the host knows (process, memory, CPU, network) come from
//! [`super::Host::info`]; subsystems not built yet report their idle values.

use super::client::ClientState;
use super::{Server, REDIS_VERSION};
use crate::config::Id;
use crate::keyspace::Keyspace;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Sections INFO prints without arguments (and with `default`).
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Redis's `bytesToHuman`.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, char); 5] = [
        (1 << 10, 'K'),
        (1 << 20, 'M'),
        (1 << 30, 'G'),
        (1 << 40, 'T'),
        (1 << 50, 'P'),
    ];
    if n < 1024 {
        return format!("{}B", n);
    }
    for (i, (unit, letter)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1).map_or(u64::MAX, |(u, _)| *u);
        if n < next {
            return format!("{:.2}{}", n as f64 / *unit as f64, letter);
        }
    }
    format!("{}B", n)
}

/// The INFO text for the requested section names (lower-cased).
pub fn generate(server: &Server, keyspace: &Keyspace, current: &ClientState, requested: &[Vec<u8>]) -> String {
    let mut all = false;
    let mut everything = false;
    let mut wanted: Vec<String> = Vec::new();
    if requested.is_empty() {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| String::from(*s)));
    }
    for name in requested {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        match name.as_str() {
            "all" => all = true,
            "everything" => {
                all = true;
                everything = true;
            }
            "default" => wanted.extend(DEFAULT_SECTIONS.iter().map(|s| String::from(*s))),
            _ => wanted.push(name),
        }
    }
    let _ = everything;
    let want = |section: &str| all || wanted.iter().any(|w| w == section);
    let host = server.host.info();
    let mut out = String::new();
    let mut sections = 0;
    let mut begin = |out: &mut String, title: &str| {
        if sections > 0 {
            out.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(out, "# {}\r\n", title);
    };
    let now_ms = server.now_ms;
    if want("server") {
        begin(&mut out, "Server");
        let uptime = host.uptime_seconds;
        let _ = write!(
            out,
            "redis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:{}\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:{}\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\nvitrine_version:{}\r\n",
            REDIS_VERSION,
            host.os,
            host.arch_bits,
            host.multiplexing_api,
            host.process_id,
            server.run_id,
            host.tcp_port,
            now_ms * 1000,
            uptime,
            uptime / 86400,
            server.config.hot().hz,
            server.config.int(Id::Hz),
            (now_ms / 1000) & ((1 << 24) - 1),
            host.executable,
            host.config_file,
            env!("CARGO_PKG_VERSION"),
        );
    }
    if want("clients") {
        begin(&mut out, "Clients");
        let mut max_input = current.query_peak;
        let mut max_output = 0;
        for (_, client) in server.clients.iter_ordered() {
            if let Some(client) = client {
                max_input = max_input.max(client.state.query_peak);
                max_output = max_output.max(client.reply.len());
            }
        }
        let _ = write!(
            out,
            "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:{}\r\n",
            server.clients.len(),
            server.config.hot().maxclients,
            max_input,
            max_output,
            server.blocking.blocked_clients(),
            server.blocking.blocked_clients(),
        );
    }
    if want("memory") {
        begin(&mut out, "Memory");
        let used = host.used_memory;
        let rss = host.used_memory_rss;
        let peak = host.used_memory_peak.max(used);
        let startup = host.used_memory_startup.min(used);
        let dataset = used.saturating_sub(startup);
        let maxmemory = server.config.hot().maxmemory;
        let frag = if used > 0 { rss as f64 / used as f64 } else { 0.0 };
        let _ = write!(
            out,
            "used_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{startup}\r\nused_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{used}\r\nallocator_active:{used}\r\nallocator_resident:{rss}\r\ntotal_system_memory:{}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:0\r\nused_memory_vm_eval:0\r\nused_memory_lua_human:0B\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\nnumber_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:0\r\nused_memory_vm_total:0\r\nused_memory_vm_total_human:0B\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\nused_memory_scripts_human:0B\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\nallocator_rss_ratio:{frag:.2}\r\nallocator_rss_bytes:{}\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{frag:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:0\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:{}\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
            bytes_to_human(used),
            bytes_to_human(rss),
            bytes_to_human(peak),
            if peak > 0 { used as f64 * 100.0 / peak as f64 } else { 0.0 },
            if used > startup { dataset as f64 * 100.0 / (used - startup) as f64 } else { 0.0 },
            host.total_system_memory,
            bytes_to_human(host.total_system_memory),
            bytes_to_human(maxmemory),
            server.config.render(Id::MaxmemoryPolicy),
            rss as i64 - used as i64,
            rss as i64 - used as i64,
            host.allocator,
            keyspace.lazyfree_pending() as u64 + host.lazyfree_pending,
            keyspace.stats().lazyfreed_objects + host.lazyfreed,
        );
    }
    if want("persistence") {
        begin(&mut out, "Persistence");
        let rdb = &server.persistence;
        let aof = &server.aof;
        let _ = write!(
            out,
            "loading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
            server.stats.dirty,
            u8::from(rdb.bgsave_in_progress()),
            server.lastsave,
            if rdb.last_bgsave_ok { "ok" } else { "err" },
            rdb.last_bgsave_seconds,
            rdb.bgsave_started.map_or(-1, |started| now_ms / 1000 - started),
            rdb.saves,
            rdb.last_load_keys_expired,
            rdb.last_load_keys_loaded,
            u8::from(aof.on),
            u8::from(aof.rewrite_started.is_some()),
            u8::from(aof.rewrite_scheduled),
            aof.last_rewrite_seconds,
            aof.rewrite_started.map_or(-1, |started| now_ms / 1000 - started),
            if aof.last_rewrite_ok { "ok" } else { "err" },
            aof.rewrites,
            aof.rewrite_failures,
            if aof.last_write_ok { "ok" } else { "err" },
        );
        if server.config.bool(Id::Appendonly) {
            let _ = write!(
                out,
                "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
                aof.current_size,
                aof.base_size,
                u8::from(aof.rewrite_scheduled),
                aof.buffer.len(),
            );
        }
    }
    if want("stats") {
        begin(&mut out, "Stats");
        let stats = &server.stats;
        let keyspace_stats = keyspace.stats();
        let _ = write!(
            out,
            "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:0.00\r\ninstantaneous_output_kbps:0.00\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\nevicted_keys:0\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:{}\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\nunexpected_error_replies:0\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
            stats.total_connections_received,
            stats.total_commands_processed,
            stats.instantaneous_ops_per_sec(),
            host.net_input_bytes,
            host.net_output_bytes,
            stats.rejected_connections,
            server.master.sync_full,
            server.master.sync_partial_ok,
            server.master.sync_partial_err,
            keyspace_stats.expired_keys,
            keyspace_stats.hits,
            keyspace_stats.misses,
            server.pubsub.channel_count(),
            server.pubsub.pattern_count(),
            server.persistence.forks,
            stats.total_error_replies,
            host.reads_processed,
            host.writes_processed,
        );
    }
    if want("replication") {
        begin(&mut out, "Replication");
        super::replica::write_info(server, &mut out);
        super::master::write_info(server, &mut out);
        out.push_str("master_failover_state:no-failover\r\n");
        server
            .replication
            .write_info(&mut out, server.config.int(Id::ReplBacklogSize));
    }
    if want("cpu") {
        begin(&mut out, "CPU");
        let _ = write!(
            out,
            "used_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\nused_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n",
            host.cpu_sys, host.cpu_user, host.cpu_sys, host.cpu_user
        );
    }
    if want("module_list") || want("modules") {
        begin(&mut out, "Modules");
    }
    if want("commandstats") {
        begin(&mut out, "Commandstats");
        for entry in server.commands.entries() {
            let Some(stat) = server.stats.commands.get(entry.index) else {
                continue;
            };
            if stat.calls == 0 && stat.failed_calls == 0 && stat.rejected_calls == 0 {
                continue;
            }
            let _ = write!(
                out,
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                entry.fullname,
                stat.calls,
                stat.usec,
                if stat.calls > 0 {
                    stat.usec as f64 / stat.calls as f64
                } else {
                    0.0
                },
                stat.rejected_calls,
                stat.failed_calls
            );
        }
    }
    if want("errorstats") {
        begin(&mut out, "Errorstats");
        for (code, count) in &server.stats.errors {
            let _ = write!(out, "errorstat_{}:count={}\r\n", String::from_utf8_lossy(code), count);
        }
    }
    if want("latencystats") {
        begin(&mut out, "Latencystats");
    }
    if want("cluster") {
        begin(&mut out, "Cluster");
        out.push_str("cluster_enabled:0\r\n");
    }
    if want("keyspace") {
        begin(&mut out, "Keyspace");
        for (index, db) in keyspace.dbs().iter().enumerate() {
            if !db.is_empty() || db.expires_len() > 0 {
                let _ = write!(
                    out,
                    "db{}:keys={},expires={},avg_ttl={}\r\n",
                    index,
                    db.len(),
                    db.expires_len(),
                    db.avg_ttl()
                );
            }
        }
    }
    out
}
