//! The emulator answers an official client it did not write: the Azure Cosmos DB Python SDK
//! (`azure-cosmos`) does database-level work against `dbctl emulator serve`, and dbctl then
//! lists what the SDK left behind.
//!
//! The interpreter is `$DBCTL_TEST_PYTHON` (`.ci/run` makes a throwaway venv with the SDK), else
//! `python3` when it can import `azure.cosmos`; without either the test says so and returns,
//! except under `CI=true`, where a missing SDK is a failure.
//!
//! The other official clients are pointed at the same emulator by their own variables (README,
//! "Use the emulator with other tools"): `redisctl` reads the emulator's `REDIS_CLOUD_*` and
//! `REDIS_ENTERPRISE_*` lines as they are; the Upstash CLI takes its base URL as the host root
//! (the emulator's `UPSTASH_API_URL` without `/v2`), and its npm release 1.0.2 has it built in.
use std::path::Path;
use std::time::Duration;

use crate::common::{Run, Served};
use serde_json::Value;

/// The interpreter that has the SDK, or `None` (after saying why) when the test cannot run.
fn python() -> Option<String> {
    let imports_sdk = |python: &str| {
        std::process::Command::new(python)
            .args(["-c", "import azure.cosmos"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if let Ok(python) = std::env::var("DBCTL_TEST_PYTHON") {
        assert!(
            imports_sdk(&python),
            "DBCTL_TEST_PYTHON={python} cannot import azure.cosmos"
        );
        return Some(python);
    }
    if imports_sdk("python3") {
        return Some("python3".into());
    }
    crate::common::missing(
        "the Azure Cosmos DB SDK is not installed: set DBCTL_TEST_PYTHON to a python with \
         `azure-cosmos` (`.ci/run` does), or `pip install azure-cosmos`",
    );
    None
}

#[test]
fn the_readme_snippet_is_what_the_sdk_test_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let snippet = readme
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a python block in the README");
    let script =
        std::fs::read_to_string(root.join("tests/sdk/cosmos_databases.py")).expect("script");
    assert!(
        script.contains(snippet),
        "tests/sdk/cosmos_databases.py must run the README's snippet:\n{snippet}"
    );
}

#[test]
fn the_python_sdk_lists_creates_reads_and_deletes_databases_that_dbctl_then_lists() {
    let Some(python) = python() else { return };
    let served = Served::start(&["--seed", "demo"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/cosmos_databases.py");
    let output = assert_cmd::Command::new(&python)
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("COSMOS_ENDPOINT", served.var("COSMOS_ENDPOINT"))
        .env("COSMOS_KEY", served.var("COSMOS_KEY"))
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run the SDK script");
    let run = Run::from(output);
    run.code(0);
    let seen: Value = run.json();

    let mut listed: Vec<&str> = seen["listed"]
        .as_array()
        .expect("listed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        ["Food DB", "inventory", "sessions", "télémétrie"],
        "{}",
        run.stdout
    );
    assert_eq!(
        seen["read"],
        serde_json::json!(["sdk-provisioned", "sdk-plain", "Food DB"])
    );
    assert_eq!(seen["duplicate"], 409);
    assert_eq!(seen["deleted"], 404);
    assert_eq!(seen["container"]["status"], 501);
    let message = seen["container"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("does not emulate containers"), "{message}");

    let listed = served
        .sandbox_for("COSMOS_")
        .run("db list -p cosmos --json");
    listed.code(0);
    let mut names: Vec<String> = listed
        .json()
        .as_array()
        .expect("a JSON array")
        .iter()
        .filter_map(|d| d["name"].as_str().map(str::to_string))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Food DB",
            "inventory",
            "sdk-provisioned",
            "sessions",
            "télémétrie"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_endpoint_itself_is_the_signed_account_read_and_containers_are_a_501() {
    let served = Served::start(&["--seed", "demo"]);
    let endpoint = served.var("COSMOS_ENDPOINT");
    let client = reqwest::Client::new();
    // The account read sits at the endpoint as printed (slash included) and is signed.
    let unsigned = client.get(&endpoint).send().await.expect("account read");
    assert_eq!(unsigned.status(), 401);
    let body: Value = unsigned.json().await.expect("a Cosmos error");
    assert_eq!(body["code"], "Unauthorized");
    // What it does not emulate is a 501 that says so.
    for (method, path, what) in [
        ("POST", "dbs/inventory/colls/", "containers"),
        (
            "GET",
            "dbs/inventory/colls/products/docs/",
            "containers, items",
        ),
        ("POST", "offers", "offer queries"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let response = client
            .request(method.clone(), format!("{endpoint}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 501, "{method} {path}");
        let body: Value = response.json().await.expect("a Cosmos error");
        assert_eq!(body["code"], "NotImplemented");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("does not emulate {what}")),
            "{message}"
        );
    }
}
