//! MFA: the hardware-token inventory the ops API keeps (MFA-01).

use serde_json::json;

use crate::{db_test, helpers::TestApp};

const REGISTER: &str = "mutation($s: String!, $k: String!) {
    registerHardwareToken(serialNumber: $s, secret: $k) { ok message } }";

async fn hardware_tokens_are_registered_once_with_a_real_secret(app: TestApp) {
    let ok = app
        .ops(REGISTER, json!({ "s": "HW-0001", "k": "JBSWY3DPEHPK3PXP" }))
        .await;
    // RULE MFA-01: the provider records each token it sells.
    assert_eq!(ok["data"]["registerHardwareToken"]["ok"], true, "{ok}");
    let again = app
        .ops(REGISTER, json!({ "s": "hw-0001", "k": "JBSWY3DPEHPK3PXP" }))
        .await;
    assert_eq!(
        again["data"]["registerHardwareToken"]["ok"], false,
        "{again}"
    );
    for (serial, secret) in [
        ("HW-2", "short"),
        ("HW-3", "not base32!"),
        ("bad serial", "JBSWY3DPEHPK3PXP"),
    ] {
        let out = app.ops(REGISTER, json!({ "s": serial, "k": secret })).await;
        assert_eq!(out["data"]["registerHardwareToken"]["ok"], false, "{out}");
    }
    let dump = app.dump_database_text().await;
    assert!(!dump.contains("JBSWY3DPEHPK3PXP"));
}

db_test!(hardware_tokens_are_registered_once_with_a_real_secret);
