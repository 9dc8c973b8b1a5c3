//! Fuzz target: ResidentIdNumber, DocumentNumber and parse_iso_date on arbitrary bytes (invariants in `fuzz/harness.rs`).

#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::resident_id(data));
