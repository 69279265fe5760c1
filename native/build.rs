//! Puts the dashboard into the server binary: builds `vitrine-web` for
//! `wasm32-unknown-unknown` (a nested cargo in its own target directory,
//! with the `wasm` profile), runs wasm-bindgen on it as a library, and
//! writes `dashboard_files.rs` listing `www/` and the generated glue and
//! wasm for `src/dashboard.rs` to `include_bytes!`. One `cargo build -p
//! vitrine-server` therefore produces a server that serves its own page.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The nested build's compiler flags. The `wasm` profile optimises for
/// size (`opt-level = "z"`), which also lowers LLVM's inlining threshold
/// to 5: even a one-line call such as `Vec::push` or a slice bound check
/// stays a call on every snapshot key's path. At 26 those small callees
/// are inlined: a million-key load in Chromium computes about a quarter
/// less, for 8 KB more gzipped wasm (a threshold above 26 adds size and no
/// speed; benches/README.md has the numbers). A profile cannot set this
/// on stable cargo, hence the variable.
const WASM_RUSTFLAGS: &str = "-Cllvm-args=-inline-threshold=26";

/// Variables the outer cargo sets for this script that must not reach the
/// nested build: its flags and wrappers are for the host (clippy's driver,
/// coverage flags), and its target settings would redirect the build.
const OUTER_ONLY: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "TARGET",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.parent().expect("native/ sits in the workspace").to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for watched in [
        "web/src",
        "web/Cargo.toml",
        "core/src",
        "core/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
        "www",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    let wasm = build_wasm(&root);
    let generated = out.join("web");
    bindgen(&wasm, &generated);
    let mut files = Vec::new();
    let www = root.join("www");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&www)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", www.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && content_type(path).is_some())
        .collect();
    entries.sort();
    files.extend(entries);
    for name in ["vitrine_web.js", "vitrine_web_bg.wasm", "vitrine_web.d.ts"] {
        files.push(generated.join(name));
    }
    let mut table = String::from(
        "/// Every embedded file: URL path, bytes, `Content-Type`, `ETag`.\npub static FILES: &[(&str, &[u8], &str, &str)] = &[\n",
    );
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let kind = content_type(path).unwrap_or("application/octet-stream");
        let bytes = std::fs::read(path).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
        let _ = writeln!(
            table,
            "    ({:?}, include_bytes!({:?}), {:?}, \"\\\"{:016x}\\\"\"),",
            format!("/{name}"),
            path.display().to_string(),
            kind,
            fnv1a(&bytes)
        );
    }
    table.push_str("];\n");
    std::fs::write(out.join("dashboard_files.rs"), table)
        .unwrap_or_else(|e| fail(&format!("cannot write the file table: {e}")));
}

/// Builds the web crate and returns the path of its wasm.
fn build_wasm(root: &Path) -> PathBuf {
    // A directory of its own: sharing the outer one would wait forever on
    // cargo's lock, held by the build that runs this script.
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm-embed");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "-p",
            "vitrine-web",
            "--lib",
            "--target",
            WASM_TARGET,
            "--profile",
            "wasm",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    for name in OUTER_ONLY {
        command.env_remove(name);
    }
    command.env("CARGO_ENCODED_RUSTFLAGS", WASM_RUSTFLAGS);
    let output = command
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run cargo to build vitrine-web for {WASM_TARGET}: {e}")));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let missing_target = stderr.contains("can't find crate for `core`")
            || stderr.contains("can't find crate for `std`")
            || stderr.contains("target may not be installed");
        if missing_target {
            fail(&format!(
                "the {WASM_TARGET} target is not installed; run `rustup target add {WASM_TARGET}` (the dashboard's replica is built for it)\n\n{stderr}"
            ));
        }
        fail(&format!("building vitrine-web for {WASM_TARGET} failed:\n\n{stderr}"));
    }
    target_dir.join(WASM_TARGET).join("wasm").join("vitrine_web.wasm")
}

/// wasm-bindgen's JavaScript glue, TypeScript types and the final wasm,
/// for `<script type="module">` (`--target web`).
fn bindgen(wasm: &Path, out: &Path) {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .typescript(true)
        // The name section only helps debuggers; it is a fifth of the file.
        .remove_name_section(true)
        .remove_producers_section(true);
    let generated = bindgen
        .web(true)
        // The library's default differs from the CLI's: without the
        // module's own URL as the default, `init()` finds no wasm.
        .and_then(|b| b.omit_default_module_path(false).generate(out));
    if let Err(error) = generated {
        fail(&format!("wasm-bindgen on {} failed: {error:#}", wasm.display()));
    }
}

/// The 64-bit FNV-1a hash of a file, its `ETag`: it only has to change
/// when the bytes do, so that a browser revalidating its cached copy gets
/// `304 Not Modified` until the binary serves something else.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The `Content-Type` of a file served from `www/` (others are not served).
fn content_type(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()? {
        "html" => Some("text/html; charset=utf-8"),
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        "wasm" => Some("application/wasm"),
        "ts" => Some("application/typescript; charset=utf-8"),
        "svg" => Some("image/svg+xml"),
        "ico" => Some("image/x-icon"),
        _ => None,
    }
}

/// Stops the build with `message` (cargo shows a build script's panic
/// text and output).
fn fail(message: &str) -> ! {
    eprintln!("{message}");
    panic!("{message}");
}
