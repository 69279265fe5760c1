//! The native server: a single-threaded tokio event loop around the core
//! engine, as Redis's one event loop is around its server state.
//!
//! Why one thread: `redis-benchmark` occupies one core of our two, and
//! what decides throughput is CPU per command, not thread count. One thread
//! means the engine needs no lock (an `Rc<RefCell<…>>`, borrowed only
//! between two awaits) and commands run in arrival order, as in Redis.
//!
//! Tasks: one per connection ([`connection`]), one accept loop per
//! listening socket ([`listeners`]), one timer for cron and deadlines, and
//! the signal handlers.

pub mod connection;
pub mod host;
pub mod lazyfree;
pub mod listeners;

use crate::config::Loaded;
use host::{NativeHost, NetCounters};
use listeners::Listeners;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;
use vitrine_core::config::Id;
use vitrine_core::engine::{Engine, HostEvent};

/// The wall clock in Unix milliseconds: the time commands run at.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What every task shares.
pub struct Shared {
    /// The engine; borrowed only between awaits.
    pub engine: RefCell<Engine>,
    /// Each connection task's wake-up, by client id.
    pub tasks: RefCell<HashMap<u64, Rc<Notify>>>,
    /// Wakes the timer when an earlier deadline appears.
    pub timer: Notify,
    /// The deadline the timer sleeps towards.
    timer_deadline: Cell<Option<i64>>,
    /// Set once SHUTDOWN is requested.
    pub shutdown: Notify,
    /// Wakes the replica link task: the master to follow changed.
    pub replica_target: Notify,
    /// Network counters for INFO.
    pub net: Rc<NetCounters>,
    /// The open AOF (`appendonly yes`): replies wait for it.
    pub aof: RefCell<Option<Rc<crate::aof::Writer>>>,
}

impl Shared {
    /// Delivers what the engine produced: wakes the clients it names,
    /// carries out its events, and re-arms the timer if needed. Call after
    /// every engine call.
    pub fn after_engine_call(&self) {
        let mut wakeups = Vec::new();
        let mut events = Vec::new();
        let deadline;
        {
            let mut engine = self.engine.borrow_mut();
            while let Some(handle) = engine.poll_wakeup() {
                wakeups.push(handle);
            }
            while let Some(event) = engine.poll_event() {
                events.push(event);
            }
            deadline = engine.poll_timeout();
        }
        let tasks = self.tasks.borrow();
        for handle in wakeups {
            if let Some(notify) = tasks.get(&handle.id) {
                notify.notify_one();
            }
        }
        drop(tasks);
        for event in events {
            match event {
                HostEvent::Shutdown => self.shutdown.notify_one(),
                HostEvent::Sleep { ms } => std::thread::sleep(Duration::from_millis(ms)),
                HostEvent::ReplicaTarget => self.replica_target.notify_one(),
                _ => {}
            }
        }
        if let Some(deadline) = deadline {
            if self.timer_deadline.get().is_none_or(|current| deadline < current) {
                self.timer.notify_one();
            }
        }
    }
}

/// Why the server stopped.
pub enum Stopped {
    /// SHUTDOWN or a signal.
    Shutdown,
    /// The listeners could not be set up.
    ListenFailed(String),
    /// The dump could not be loaded (logged already).
    LoadFailed,
}

/// Loads `dbfilename` before any client connects (`loadDataFromDisk`). A
/// missing file is an empty start; a bad one stops the server, never
/// leaving it half-loaded.
fn load_at_startup(engine: &mut Engine) -> Result<(), ()> {
    let started = std::time::Instant::now();
    let filename = engine.config().text(Id::Dbfilename).to_string();
    let options = vitrine_core::rdb::LoadOptions::from_config(engine.config());
    let now = now_ms();
    match crate::persist::load(&filename, engine.keyspace_mut(), options, now) {
        Ok(None) => Ok(()),
        Ok(Some(report)) => {
            crate::persist::log_report(&report, now / 1000);
            engine.record_load(&report);
            crate::notice!("DB loaded from disk: {:.3} seconds", started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(error) => {
            for line in error.log_lines() {
                crate::warning!("{}", line);
            }
            Err(())
        }
    }
}

/// Runs the server until shutdown.
pub async fn run(loaded: Loaded) -> Stopped {
    let net = Rc::new(NetCounters::default());
    let shared_slot: Rc<RefCell<Option<Rc<Shared>>>> = Rc::new(RefCell::new(None));
    let spawn_slot = shared_slot.clone();
    let spawner: listeners::Spawner = Rc::new(move |listener| {
        let shared = spawn_slot.borrow().clone();
        tokio::task::spawn_local(async move {
            if let Some(shared) = shared {
                connection::accept_loop(shared, listener).await;
            }
        })
    });
    let listeners = Rc::new(RefCell::new(Listeners::new(spawner)));
    let config_file = loaded
        .config_file
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let host = NativeHost::new(config_file, net.clone(), listeners.clone(), shared_slot.clone());
    let mut seed = [0u8; 32];
    if getrandom::fill(&mut seed).is_err() {
        crate::warning!("The OS random source failed: seeding from the clock");
        seed[..16].copy_from_slice(&(now_ms() as u128 ^ std::process::id() as u128).to_le_bytes());
    }
    let mut engine = Engine::new(loaded.config, seed, Box::new(host), now_ms());
    for (old, new) in &loaded.renames {
        if let Err(reason) = engine.commands_mut().rename(old, new) {
            return Stopped::ListenFailed(reason.to_string());
        }
    }
    let aof = if engine.config().bool(Id::Appendonly) {
        match crate::aof::open_at_startup(&mut engine) {
            Ok(writer) => Some(Rc::new(writer)),
            Err(()) => return Stopped::LoadFailed,
        }
    } else if load_at_startup(&mut engine).is_err() {
        return Stopped::LoadFailed;
    } else {
        None
    };
    engine.replica_from_config();
    let (binds, port, backlog) = {
        let config = engine.config();
        (
            config.words(Id::Bind).to_vec(),
            config.int(Id::Port) as u16,
            config.int(Id::TcpBacklog) as i32,
        )
    };
    let shared = Rc::new(Shared {
        engine: RefCell::new(engine),
        tasks: RefCell::new(HashMap::new()),
        timer: Notify::new(),
        timer_deadline: Cell::new(None),
        shutdown: Notify::new(),
        replica_target: Notify::new(),
        net,
        aof: RefCell::new(aof),
    });
    *shared_slot.borrow_mut() = Some(shared.clone());
    if let Err(reason) = listeners.borrow_mut().rebind(&binds, port, backlog) {
        return Stopped::ListenFailed(reason);
    }
    crate::notice!("Ready to accept connections tcp");
    let websocket = match crate::websocket::listen(&shared) {
        Ok(websocket) => websocket,
        Err(reason) => return Stopped::ListenFailed(reason),
    };
    tokio::task::spawn_local(timer_loop(shared.clone()));
    tokio::task::spawn_local(crate::replica::run(shared.clone()));
    tokio::task::spawn_local(crate::aof::run(shared.clone()));
    let mut signals = Signals::new();
    loop {
        tokio::select! {
            _ = shared.shutdown.notified() => break,
            sigint = signals.next() => {
                let name = if sigint { "SIGINT" } else { "SIGTERM" };
                if signals.pending_sigint && sigint {
                    crate::warning!("You insist... exiting now.");
                    let _ = std::fs::remove_file(crate::persist::temp_name(std::process::id()));
                    std::process::exit(1);
                }
                crate::warning!("Received {} scheduling shutdown...", name);
                signals.pending_sigint = sigint;
                let done = shared.engine.borrow_mut().shutdown_by_signal(sigint, now_ms());
                shared.after_engine_call();
                if done {
                    break;
                }
                signals.pending_sigint = false;
            }
        }
    }
    listeners.borrow_mut().close();
    if let Some(mut websocket) = websocket {
        websocket.close();
    }
    if let Some(writer) = shared.aof.borrow().as_ref() {
        writer.flush_final(&mut shared.engine.borrow_mut());
    }
    Stopped::Shutdown
}

/// SIGTERM and SIGINT as a stream.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
    /// A SIGINT shutdown is under way (a second SIGINT exits at once).
    pending_sigint: bool,
}

impl Signals {
    fn new() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        Signals {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
            pending_sigint: false,
        }
    }

    /// The next signal: `true` for SIGINT, `false` for SIGTERM.
    async fn next(&mut self) -> bool {
        let (Some(term), Some(int)) = (self.term.as_mut(), self.int.as_mut()) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => false,
            _ = int.recv() => true,
        }
    }
}

/// Drives cron (`hz` times a second) and the engine's deadlines.
async fn timer_loop(shared: Rc<Shared>) {
    let mut next_cron = now_ms();
    loop {
        let (deadline, hz) = {
            let engine = shared.engine.borrow();
            (engine.poll_timeout(), engine.config().hot().hz.max(1) as i64)
        };
        let wake_at = deadline.map_or(next_cron, |d| d.min(next_cron));
        shared.timer_deadline.set(Some(wake_at));
        let delay = (wake_at - now_ms()).max(0) as u64;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(delay)) => {}
            _ = shared.timer.notified() => continue,
        }
        let now = now_ms();
        {
            let mut engine = shared.engine.borrow_mut();
            if now >= next_cron {
                engine.cron(now);
                next_cron = now + 1000 / hz;
            }
            engine.handle_timeout(now);
        }
        shared.after_engine_call();
    }
}
