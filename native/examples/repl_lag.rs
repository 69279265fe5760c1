//! Replication lag as a client sees it, for `benches/replication.sh`:
//! writes a fresh value to the master, then polls a replica until the
//! value is there, and repeats. Prints the p50, p99 and max of those
//! delays in milliseconds (`p50 p99 max`).
//!
//! Usage: `repl_lag MASTER_PORT REPLICA_PORT SAMPLES`

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A blocking RESP connection that sends one command and reads one reply.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends `args` and returns the reply's first line (a bulk's payload
    /// for a bulk string, empty for a null).
    fn call(&mut self, args: &[&str]) -> std::io::Result<String> {
        let mut command = format!("*{}\r\n", args.len());
        for arg in args {
            command.push_str(&format!("${}\r\n{}\r\n", arg.len(), arg));
        }
        self.writer.write_all(command.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        if line.starts_with("$-1") {
            return Ok(String::new());
        }
        if line.starts_with('$') {
            line.clear();
            self.reader.read_line(&mut line)?;
        }
        Ok(line.trim_end().to_string())
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, master, replica, samples] = &args[..] else {
        eprintln!("usage: repl_lag MASTER_PORT REPLICA_PORT SAMPLES");
        std::process::exit(2);
    };
    let port = |text: &str| text.parse::<u16>().expect("a port number");
    let mut master = Conn::open(port(master))?;
    let mut replica = Conn::open(port(replica))?;
    let samples: usize = samples.parse().expect("a sample count");
    let mut delays = Vec::with_capacity(samples);
    for i in 0..samples {
        let value = format!("{}-{}", std::process::id(), i);
        let began = Instant::now();
        master.call(&["SET", "repl-lag-probe", &value])?;
        while replica.call(&["GET", "repl-lag-probe"])? != value {
            if began.elapsed() > Duration::from_secs(30) {
                eprintln!("the replica did not see the write within 30 s");
                std::process::exit(1);
            }
        }
        delays.push(began.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(5));
    }
    delays.sort_by(f64::total_cmp);
    let at = |q: f64| delays[((delays.len() as f64 * q) as usize).min(delays.len() - 1)];
    println!("{:.3} {:.3} {:.3}", at(0.5), at(0.99), at(1.0));
    Ok(())
}
