//! svcq reads local files only: no HTTP client, TLS or cloud-storage crate may come
//! back into the build (polars' umbrella `parquet` feature brings them through its
//! streaming engine; svcq takes Parquet from polars-io instead).

use std::process::Command;

const NETWORK_CRATES: &[&str] = &[
    "reqwest",
    "hyper",
    "h2",
    "rustls",
    "ring",
    "native-tls",
    "openssl",
    "object_store",
];

#[test]
fn the_build_has_no_network_or_cloud_crates() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "-e", "normal", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.contains("polars-io"),
        "cargo tree lists the dependencies:\n{tree}"
    );
    let found: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| NETWORK_CRATES.contains(name))
        .collect();
    assert!(
        found.is_empty(),
        "network or cloud crates in the build: {found:?}"
    );
}
