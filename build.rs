//! Links optimised builds of the `fundq` binary as a position-dependent executable (`-no-pie`).
//!
//! A position-independent binary of this size makes the dynamic loader apply about 330,000
//! relocations at every start (≈ 6 ms of a 50 ms cold run, docs/performance.md). Linked at a
//! fixed address it has none. The dependencies stay position-independent code, which links into
//! either kind. The price is that the executable's own code loses address randomisation (the
//! heap, stack and shared libraries keep theirs). Debug builds and tests keep the default.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let optimised = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if optimised && linux {
        println!("cargo::rustc-link-arg-bin=fundq=-no-pie");
    }
}
