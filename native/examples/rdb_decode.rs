//! Streams an RDB file through the core decoder alone, in 64 KiB chunks,
//! dropping each entry, and prints the process's peak RSS and the number
//! of keys: `benches/rdb.sh` compares the peak with the file size to show
//! the decoder's memory is bounded by the largest value, not the file.
//!
//! Usage: rdb_decode FILE  →  "PEAK_RSS_BYTES KEYS"

use std::io::Read;
use vitrine_core::config::Config;
use vitrine_core::rdb::decoder::{Decoder, Item};
use vitrine_core::rdb::LoadOptions;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: rdb_decode FILE");
        std::process::exit(2);
    };
    let mut file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::exit(1);
        }
    };
    let mut decoder = Decoder::new(LoadOptions::from_config(&Config::new()));
    let mut chunk = vec![0u8; 64 * 1024];
    let mut keys = 0u64;
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) => {
                eprintln!("{path}: {error}");
                std::process::exit(1);
            }
        };
        decoder.feed(&chunk[..n]);
        loop {
            match decoder.next_item() {
                Ok(Some(Item::Entry(_))) => keys += 1,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => {
                    eprintln!("{path}: {error}");
                    std::process::exit(1);
                }
            }
        }
    }
    if let Err(error) = decoder.finish() {
        eprintln!("{path}: {error}");
        std::process::exit(1);
    }
    println!("{} {}", peak_rss(), keys);
}

/// `VmHWM` of this process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
