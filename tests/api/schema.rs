//! The committed SDL files are exactly what `account-center schema` prints.

fn committed(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn schema_graphql_has_not_drifted() {
    assert!(
        committed("schema.graphql") == account_center::graphql::console_sdl(),
        "schema.graphql differs from the code: run `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn schema_ops_graphql_has_not_drifted() {
    assert!(
        committed("schema.ops.graphql") == account_center::graphql::ops::sandbox_sdl(),
        "schema.ops.graphql differs from the code: run `cargo run -- schema --ops > schema.ops.graphql`"
    );
}
