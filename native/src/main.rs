//! `vitrine-server [/path/to/redis.conf] [--directive value …]`: starts a
//! Redis-compatible server, configured exactly as `redis-server` is.

mod aof;
mod config;
mod daemon;
mod dashboard;
mod limits;
mod log;
mod persist;
mod replica;
mod server;
mod websocket;

use config::{parse_command_line, CommandLine};
use tikv_jemallocator::Jemalloc;
use vitrine_core::config::Id;

#[global_allocator]
static ALLOCATOR: Jemalloc = Jemalloc;

fn version_line() -> String {
    format!(
        "vitrine-server v={} (Redis {} compatible) malloc=jemalloc-5.3.0 bits={}",
        env!("CARGO_PKG_VERSION"),
        vitrine_core::engine::REDIS_VERSION,
        usize::BITS
    )
}

fn usage() -> ! {
    eprintln!(
        "Usage: ./vitrine-server [/path/to/redis.conf] [options] [-]\n       ./vitrine-server - (read config from stdin)\n       ./vitrine-server -v or --version\n       ./vitrine-server -h or --help\n\nExamples:\n       ./vitrine-server (run the server with default conf)\n       ./vitrine-server /etc/redis/6379.conf\n       ./vitrine-server --port 7777\n       ./vitrine-server --port 7777 --replicaof 127.0.0.1 8888\n       ./vitrine-server /etc/myredis.conf --loglevel verbose -\n       ./vitrine-server /etc/myredis.conf --loglevel verbose\n"
    );
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command_line: CommandLine = match parse_command_line(&args) {
        Ok(command_line) => command_line,
        Err(config::EarlyExit::Version) => {
            println!("{}", version_line());
            return;
        }
        Err(config::EarlyExit::Usage) => usage(),
    };
    let loaded = match config::load(&command_line) {
        Ok(loaded) => loaded,
        Err(config::Fatal(message)) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    };
    let logfile = loaded.config.text(Id::Logfile).to_string();
    let verbosity = loaded.config.int(Id::Loglevel) as u8;
    if let Err(error) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&logfile)
        .map(drop)
        .or_else(|e| if logfile.is_empty() { Ok(()) } else { Err(e) })
    {
        eprintln!(
            "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nCan't open the log file: {}",
            vitrine_core::engine::REDIS_VERSION,
            config::os_error(&error)
        );
        std::process::exit(1);
    }
    let daemonize = loaded.config.bool(Id::Daemonize);
    if daemonize {
        daemon::daemonize();
    }
    if let Err(error) = log::init(
        if daemonize && logfile.is_empty() {
            "/dev/null"
        } else {
            &logfile
        },
        verbosity,
    ) {
        eprintln!("Can't open the log file: {}", config::os_error(&error));
        std::process::exit(1);
    }
    warning!("oO0OoO0OoO0Oo vitrine is starting oO0OoO0OoO0Oo");
    warning!(
        "vitrine version={}, Redis version={}, bits={}, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        vitrine_core::engine::REDIS_VERSION,
        usize::BITS,
        std::process::id()
    );
    if args.is_empty() {
        warning!("Warning: no config file specified, using the default config. In order to specify a config file use vitrine-server /path/to/redis.conf");
    } else {
        warning!("Configuration loaded");
    }
    for name in loaded.config.inactive_directives() {
        warning!(
            "The '{}' directive is set, but its subsystem is not active in this version of vitrine: it has no effect yet.",
            name
        );
    }
    let pidfile = match loaded.config.text(Id::Pidfile) {
        "" if daemonize => Some(daemon::DEFAULT_PIDFILE.to_string()),
        "" => None,
        path => Some(path.to_string()),
    };
    if let Some(path) = &pidfile {
        daemon::write_pidfile(path);
    }
    let mut loaded = loaded;
    let maxclients = loaded.config.int(Id::Maxclients) as u64;
    let fitting = limits::adjust_open_files_limit(maxclients);
    if fitting != maxclients {
        let _ = loaded.config.set(
            Id::Maxclients,
            &[fitting.to_string().as_bytes()],
            vitrine_core::config::Source::Startup,
        );
    }
    notice!("Server initialized");
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            warning!("Failed creating the event loop: {}", error);
            std::process::exit(1);
        }
    };
    let local = tokio::task::LocalSet::new();
    let stopped = local.block_on(&runtime, server::run(loaded));
    match stopped {
        server::Stopped::Shutdown => {
            if let Some(path) = &pidfile {
                notice!("Removing the pid file.");
                let _ = std::fs::remove_file(path);
            }
            warning!("vitrine is now ready to exit, bye bye...");
        }
        server::Stopped::ListenFailed(reason) => {
            warning!("{}, aborting.", reason);
            std::process::exit(1);
        }
        server::Stopped::LoadFailed => std::process::exit(1),
    }
}
