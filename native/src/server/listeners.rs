//! The listening sockets: one per `bind` address on `port`, rebound at run
//! time when CONFIG SET changes either. Addresses follow Redis: `*` is every
//! IPv4 address, `::*` every IPv6 address, a leading `-` makes an address
//! optional (skipped if the system lacks it).

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use tokio::task::JoinHandle;

/// Starts the accept loop of one bound listener.
pub type Spawner = Rc<dyn Fn(std::net::TcpListener) -> JoinHandle<()>>;

/// The set of listening sockets.
pub struct Listeners {
    port: u16,
    tasks: Vec<JoinHandle<()>>,
    spawn: Spawner,
}

impl Listeners {
    /// No listener yet.
    pub fn new(spawn: Spawner) -> Self {
        Listeners {
            port: 0,
            tasks: Vec::new(),
            spawn,
        }
    }

    /// The TCP port listened on (0: none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Binds every address of `binds` on `port`, then replaces the current
    /// listeners. Nothing changes if a required address cannot be bound.
    pub fn rebind(&mut self, binds: &[String], port: u16, backlog: i32) -> Result<(), String> {
        let mut sockets = Vec::new();
        if port != 0 {
            let binds: Vec<String> = if binds.is_empty() {
                vec!["*".into(), "-::*".into()]
            } else {
                binds.to_vec()
            };
            for spec in &binds {
                let (optional, address) = match spec.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, spec.as_str()),
                };
                match bind_one(address, port, backlog) {
                    Ok(socket) => sockets.push(socket),
                    Err(error) if optional && unavailable(&error) => {}
                    Err(error) => {
                        crate::warning!(
                            "Warning: Could not create server TCP listening socket {}:{}: {}",
                            address,
                            port,
                            crate::config::os_error(&error)
                        );
                        return Err(format!("Failed listening on port {} (TCP)", port));
                    }
                }
            }
        }
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.port = port;
        for socket in sockets {
            self.tasks.push((self.spawn)(socket));
        }
        Ok(())
    }

    /// Stops listening.
    pub fn close(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

fn unavailable(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EADDRNOTAVAIL) | Some(libc::EAFNOSUPPORT) | Some(libc::EPROTONOSUPPORT)
    )
}

fn parse_address(address: &str, port: u16) -> std::io::Result<SocketAddr> {
    let ip = match address {
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "::*" => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        other => other
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EADDRNOTAVAIL))?,
    };
    Ok(SocketAddr::new(ip, port))
}

fn bind_one(address: &str, port: u16, backlog: i32) -> std::io::Result<std::net::TcpListener> {
    let address = parse_address(address, port)?;
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))?;
    if address.is_ipv6() {
        // Like Redis: the IPv6 socket leaves IPv4 to its own listener.
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}
