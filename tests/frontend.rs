//! The project's two Node folders, checked with the machine's Node and npm:
//! - `clients/`: every console document validates against `schema.graphql` (graphql-codegen),
//!   the typed flow type-checks against the generated types (`tsc --noEmit`), and the
//!   committed `trusted-documents.json` equals the one the documents give;
//! - `ui/graphiql/`: the GraphiQL bundle the server embeds (`src/graphiql/`) is exactly what
//!   its lockfile builds.
//!
//! Each runs `npm ci` (preferring npm's cache) only when its lockfile changed since the last
//! install. Without node and npm the tests print a notice and pass, except with CI=true,
//! where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use sha2::{Digest, Sha256};

/// Whether `node` and `npm` can run here; with CI=true they must.
fn node_available(test: &str) -> bool {
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if runs("node") && runs("npm") {
        return true;
    }
    assert!(
        std::env::var("CI").map(|v| v != "true").unwrap_or(true),
        "CI=true but node and npm are not installed: {test} must run in CI"
    );
    eprintln!("notice: node and npm are not installed; {test} is skipped");
    false
}

fn folder(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs `program args` in `dir`; a failure fails the test with what it printed.
fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`{program} {}` in {} failed:\n{stdout}\n{stderr}",
        args.join(" "),
        dir.display()
    );
    stdout
}

/// `npm ci` in `dir` unless node_modules was installed from this very lockfile.
fn install(dir: &Path) {
    let lock = std::fs::read(dir.join("package-lock.json")).expect("package-lock.json");
    let wanted = hex::encode(Sha256::digest(&lock));
    let stamp = dir.join("node_modules/.installed-from-lock");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return;
    }
    run(
        dir,
        "npm",
        &["ci", "--prefer-offline", "--no-audit", "--no-fund"],
    );
    std::fs::write(&stamp, wanted).expect("write the install stamp");
}

#[test]
fn typed_clients_match_the_schema_and_the_manifest() {
    if !node_available("the typed-clients check (clients/)") {
        return;
    }
    let clients = folder("clients");
    install(&clients);
    // Validates every document against ../schema.graphql and writes src/gql/.
    run(&clients, "npm", &["run", "--silent", "codegen"]);
    run(&clients, "npm", &["run", "--silent", "typecheck"]);
    let checked = run(
        &clients,
        "node",
        &["scripts/trusted-documents.mjs", "--check"],
    );
    assert!(checked.contains("up to date"), "{checked}");
}

#[test]
fn graphiql_bundle_is_what_its_lockfile_builds() {
    if !node_available("the GraphiQL bundle check (ui/graphiql/)") {
        return;
    }
    let graphiql = folder("ui/graphiql");
    install(&graphiql);
    let out = std::env::temp_dir().join(format!("ac-graphiql-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    run(
        &graphiql,
        "node",
        &["build.mjs", out.to_str().expect("a UTF-8 path")],
    );
    let embedded = folder("src/graphiql");
    for file in ["graphiql.js", "graphiql.css", "THIRD-PARTY-LICENSES.txt"] {
        let built = std::fs::read(out.join(file)).expect("a built file");
        let committed = std::fs::read(embedded.join(file)).expect("an embedded file");
        assert!(
            built == committed,
            "src/graphiql/{file} is not what ui/graphiql builds: run `npm ci && npm run build` there"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
