//! Replays the fuzz corpora and saved crash inputs (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through the same harness the cargo-fuzz targets run.

#![allow(clippy::panic)]

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::{Path, PathBuf};

/// One harness function: checks the invariants of a parser family on one input.
type Check = fn(&[u8]);

/// Every fuzz target, by the name of its corpus directory.
const TARGETS: [&str; 5] = ["resident_id", "credit_code", "money", "email", "phone"];

/// The files directly inside `dir`, sorted; empty when it does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every corpus and regression file of `target` through `check`; returns how many ran.
fn replay(target: &str, check: Check) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = files_in(&fuzz.join("corpus").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ has no inputs");
    let regressions = files_in(&fuzz.join("regressions").join(target));
    for path in corpus.iter().chain(&regressions) {
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check(&data);
    }
    corpus.len() + regressions.len()
}

#[test]
fn resident_id_corpus_holds() {
    assert!(replay("resident_id", harness::resident_id) > 0);
}

#[test]
fn credit_code_corpus_holds() {
    assert!(replay("credit_code", harness::credit_code) > 0);
}

#[test]
fn money_corpus_holds() {
    assert!(replay("money", harness::money) > 0);
}

#[test]
fn email_corpus_holds() {
    assert!(replay("email", harness::email) > 0);
}

#[test]
fn phone_corpus_holds() {
    assert!(replay("phone", harness::phone) > 0);
}

#[test]
fn every_target_has_a_corpus_directory() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for target in TARGETS {
        assert!(
            corpus.join(target).is_dir(),
            "missing fuzz/corpus/{target}/"
        );
    }
    let mut dirs: Vec<String> = subdirectories(&corpus);
    dirs.sort();
    let mut expected: Vec<String> = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    expected.sort();
    assert_eq!(dirs, expected, "a corpus directory without a replay test");
}

/// The names of the directories directly inside `dir`; empty when it does not exist.
fn subdirectories(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}
