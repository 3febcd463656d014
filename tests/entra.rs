//! Cosmos DB with Microsoft Entra ID (`auth = "entra"`) through the real binary: tokens from a
//! wiremock token endpoint (client credentials) or a `token_command`, sent as the URL-encoded
//! `type=aad&ver=1.0&sig=TOKEN`, cached, renewed before expiry and once on a 401; the role and
//! management-plane hints of a 403; and the emulator's own token endpoint end to end. No token
//! and no client secret appears in any output, `-vv` included.
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixture, header_of, requests, requests_to_path, Run, Sandbox, Served};

const TENANT: &str = "tenant-7c2e";
const CLIENT_ID: &str = "app-5d1f";
const CLIENT_SECRET: &str = "client-secret-value-9a8b";
const TOKEN_PATH: &str = "/tenant-7c2e/oauth2/v2.0/token";

/// The header Cosmos receives for `token`.
fn aad(token: &str) -> String {
    format!("type%3Daad%26ver%3D1.0%26sig%3D{token}")
}

/// A token endpoint answering `token` (valid `expires_in` seconds), `times` times at most.
async fn issue(authority: &MockServer, token: &str, expires_in: u64, times: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in,
            "access_token": token,
        })))
        .up_to_n_times(times)
        .mount(authority)
        .await;
}

/// Cosmos answers the database list (and the offers) to `token`.
async fn accept(cosmos: &MockServer, token: &str) {
    for (route, name) in [("/dbs", "databases.json"), ("/offers", "offers.json")] {
        Mock::given(method("GET"))
            .and(path(route))
            .and(header("authorization", aad(token).as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("cosmos", name), "application/json"),
            )
            .mount(cosmos)
            .await;
    }
}

/// Cosmos answers `status` with its `{"code","message"}` error to any request.
async fn refuse(cosmos: &MockServer, status: u16, substatus: &str, message: &str) {
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("x-ms-substatus", substatus)
                .set_body_json(json!({
                    "code": if status == 401 { "Unauthorized" } else { "Forbidden" },
                    "message": format!("{message}\r\nActivityId: 4d8f, Microsoft.Azure.Documents.Common/2.14.0"),
                })),
        )
        .mount(cosmos)
        .await;
}

/// The implicit cosmos profile at `cosmos`, signing in as the app at `authority`.
fn entra_sandbox(cosmos: &MockServer, authority: &MockServer) -> Sandbox {
    Sandbox::new()
        .env("COSMOS_ENDPOINT", format!("{}/", cosmos.uri()))
        .env("COSMOS_AUTH", "entra")
        .env("COSMOS_TENANT_ID", TENANT)
        .env("COSMOS_CLIENT_ID", CLIENT_ID)
        .env("COSMOS_CLIENT_SECRET", CLIENT_SECRET)
        .env("COSMOS_AUTHORITY_URL", authority.uri())
}

/// The `Authorization` of every request Cosmos received.
async fn tokens_sent(cosmos: &MockServer) -> Vec<String> {
    requests(cosmos)
        .await
        .iter()
        .map(|r| header_of(r, "authorization").unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_give_one_token_for_the_whole_run() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    let token = "eyJ0eXAi.eyJhdWQi-tok_A1.c2lnbmF0dXJl";
    issue(&authority, token, 3599, 10).await;
    accept(&cosmos, token).await;
    let sb = entra_sandbox(&cosmos, &authority);
    // A list and the offers: two Cosmos requests, one token.
    let run = sb.run(&["db", "stats", "-p", "cosmos", "--json", "-vv"]);
    run.code(0).no_secrets(&[CLIENT_SECRET, token, "tok_A1"]);
    assert_eq!(
        run.json().as_array().map(Vec::len),
        Some(4),
        "{}",
        run.stdout
    );
    let asked = requests(&authority).await;
    assert_eq!(asked.len(), 1);
    assert_eq!(
        header_of(&asked[0], "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let mut form: Vec<String> = String::from_utf8_lossy(&asked[0].body)
        .split('&')
        .map(str::to_string)
        .collect();
    form.sort();
    assert_eq!(
        form,
        vec![
            format!("client_id={CLIENT_ID}"),
            format!("client_secret={CLIENT_SECRET}"),
            "grant_type=client_credentials".to_string(),
            "scope=http%3A%2F%2F127.0.0.1%2F.default".to_string(),
        ]
    );
    let sent = requests(&cosmos).await;
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(header_of(request, "authorization"), Some(aad(token)));
        assert!(header_of(request, "x-ms-date").is_some());
        assert_eq!(
            header_of(request, "x-ms-version").as_deref(),
            Some("2020-07-15")
        );
    }
    // -vv shows the token request with the secret masked.
    run.stderr_has(&format!("> POST {}{TOKEN_PATH}", authority.uri()))
        .stderr_has("\"client_secret\": \"***\"")
        .stderr_has("\"access_token\": \"***\"");

    // Where the credentials come from, never what they are.
    let validate = sb.run(&["config", "validate", "-o", "csv"]);
    validate.code(0).no_secrets(&[CLIENT_SECRET]);
    validate.stdout_has(
        "cosmos,cosmos,,,ok,from environment; client_secret: environment variable COSMOS_CLIENT_SECRET\n",
    );
    sb.run(&["db", "url", "Food DB", "-p", "cosmos"])
        .code(6)
        .stderr_has("signs in with Microsoft Entra ID: there is no account key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_is_renewed_once() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "old-token-1", "expires_in": 3599})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&authority)
        .await;
    issue(&authority, "new-token-2", 3599, 10).await;
    accept(&cosmos, "new-token-2").await;
    refuse(
        &cosmos,
        401,
        "0",
        "The input authorization token can't serve the request.",
    )
    .await;
    let run =
        entra_sandbox(&cosmos, &authority).run(&["db", "list", "-p", "cosmos", "--json", "-v"]);
    run.code(0)
        .no_secrets(&[CLIENT_SECRET, "old-token-1", "new-token-2"])
        .stderr_has("credential refused; renewing it for GET /dbs");
    assert_eq!(requests_to_path(&authority, TOKEN_PATH).await, 2);
    assert_eq!(
        tokens_sent(&cosmos).await,
        vec![aad("old-token-1"), aad("new-token-2")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_refused_twice_is_exit_4_after_one_renewal() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    issue(&authority, "refused-token-3", 3599, 10).await;
    refuse(
        &cosmos,
        401,
        "0",
        "The input authorization token can't serve the request. The wrong key is being used.",
    )
    .await;
    let run = entra_sandbox(&cosmos, &authority).run(&["db", "list", "-p", "cosmos"]);
    run.code(4)
        .no_secrets(&[CLIENT_SECRET, "refused-token-3"])
        .stderr_has("cosmos answered 401 Unauthorized: The input authorization token can't serve the request.")
        .stderr_has(&format!("hint: Cosmos refused the Entra ID token of client_id {CLIENT_ID}"));
    assert_eq!(requests_to_path(&authority, TOKEN_PATH).await, 2);
    assert_eq!(requests(&cosmos).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_names_the_data_plane_role_and_is_not_renewed() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    issue(&authority, "no-role-token-4", 3599, 10).await;
    refuse(&cosmos, 403, "5301", "Request blocked by Auth acct : Request is blocked because principal [3f2c] does not have required RBAC permissions to perform action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/]. Learn more: https://aka.ms/cosmos-native-rbac.").await;
    let run = entra_sandbox(&cosmos, &authority).run(&["db", "list", "-p", "cosmos"]);
    run.code(4).no_secrets(&[CLIENT_SECRET, "no-role-token-4"]);
    assert_eq!(
        run.stderr,
        format!("error: cosmos answered 403 Forbidden: Request blocked by Auth acct : Request is blocked because principal [3f2c] does not have required RBAC permissions to perform action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/].\n\
         hint: client_id {CLIENT_ID} has no data-plane role on this account: assign it \"Cosmos DB Built-in Data Reader\" (00000000-0000-0000-0000-000000000001) to read, or \"Cosmos DB Built-in Data Contributor\" (00000000-0000-0000-0000-000000000002) with `az cosmosdb sql role assignment create --account-name ACCOUNT --resource-group GROUP --scope / --principal-id OBJECT_ID --role-definition-id 00000000-0000-0000-0000-000000000001`; a new assignment can take a few minutes to apply\n")
    );
    assert_eq!(requests_to_path(&authority, TOKEN_PATH).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn database_create_with_entra_points_at_the_management_plane() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    issue(&authority, "writer-token-5", 3599, 10).await;
    refuse(&cosmos, 403, "5300", "Request blocked by Auth acct : The given request [POST /dbs] cannot be authorized by AAD token in data plane. Learn more: https://aka.ms/cosmos-native-rbac.").await;
    entra_sandbox(&cosmos, &authority)
        .run(&["db", "create", "--name", "orders", "-p", "cosmos"])
        .code(4)
        .no_secrets(&[CLIENT_SECRET, "writer-token-5"])
        .stderr_has("cannot be authorized by AAD token in data plane.")
        .stderr_has("through the management plane, e.g. `az cosmosdb sql database create --account-name ACCOUNT --resource-group GROUP --name NAME`");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_client_secret_is_exit_4_before_any_cosmos_request() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{CLIENT_ID}'.\r\nTrace ID: 0a1b\r\nCorrelation ID: 2c3d\r\nTimestamp: 2026-12-04 13:00:00Z"),
            "error_codes": [7000215],
        })))
        .mount(&authority)
        .await;
    let run = entra_sandbox(&cosmos, &authority).run(&["db", "list", "-p", "cosmos"]);
    run.code(4).no_secrets(&[CLIENT_SECRET]);
    assert_eq!(
        run.stderr,
        format!("error: Microsoft Entra ID answered 401 to the token request of profile 'cosmos': AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{CLIENT_ID}'.\n\
         hint: check COSMOS_CLIENT_SECRET: it must be the client secret's value (not its ID), and not expired\n")
    );
    assert!(requests(&cosmos).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_resource_falls_back_to_the_cosmos_scope() {
    let (cosmos, authority) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fcosmos.azure.com%2F.default",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "fallback-token-6", "expires_in": 3599})),
        )
        .mount(&authority)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_resource",
            "error_description": "AADSTS500011: The resource principal named http://127.0.0.1 was not found in the tenant.",
        })))
        .mount(&authority)
        .await;
    accept(&cosmos, "fallback-token-6").await;
    entra_sandbox(&cosmos, &authority)
        .run(&["db", "list", "-p", "cosmos", "--json"])
        .code(0)
        .no_secrets(&["fallback-token-6"]);
    assert_eq!(requests_to_path(&authority, TOKEN_PATH).await, 2);
}

/// A config-file profile at `cosmos` whose token comes from `token_line` (TOML).
fn token_profile(cosmos: &MockServer, token_line: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.config(&format!(
        "[profiles.az]\nprovider = \"cosmos\"\nendpoint = \"{}/\"\nauth = \"entra\"\n{token_line}\n",
        cosmos.uri()
    ));
    sb
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_command_is_run_again_when_its_token_is_refused() {
    let cosmos = MockServer::start().await;
    accept(&cosmos, "cmd-token-2").await;
    refuse(
        &cosmos,
        401,
        "0",
        "The input authorization token can't serve the request.",
    )
    .await;
    let sb = Sandbox::new();
    // Prints cmd-token-1, then cmd-token-2, ...: each run a new token, as `az` would.
    let counter = sb.home.path().join("count");
    let script = sb.home.path().join("token.sh");
    std::fs::write(
        &script,
        format!(
            "n=$(cat '{c}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{c}'; echo cmd-token-$n\n",
            c = counter.display()
        ),
    )
    .unwrap();
    sb.config(&format!(
        "[profiles.az]\nprovider = \"cosmos\"\nendpoint = \"{}/\"\nauth = \"entra\"\ntoken_command = \"sh {}\"\n",
        cosmos.uri(),
        script.display()
    ));
    let run = sb.run(&["db", "list", "--profile", "az", "--json", "-vv"]);
    run.code(0).no_secrets(&["cmd-token-1", "cmd-token-2"]);
    assert_eq!(
        tokens_sent(&cosmos).await,
        vec![aad("cmd-token-1"), aad("cmd-token-2")]
    );
    assert_eq!(std::fs::read_to_string(&counter).unwrap().trim(), "2");
    sb.run(&["config", "validate", "-o", "csv"])
        .stdout_has("; token: command `sh` (token_command)\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn az_json_is_read_and_a_fixed_token_is_not_renewed() {
    let cosmos = MockServer::start().await;
    accept(&cosmos, "az-json-token-7").await;
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let az =
        json!({"accessToken": "az-json-token-7", "expires_on": expires, "tokenType": "Bearer"});
    let sb = token_profile(
        &cosmos,
        &format!(
            "token_command = [\"printf\", \"%s\", {}]",
            Value::String(az.to_string())
        ),
    );
    sb.run(&["db", "list", "--profile", "az", "--json"])
        .code(0)
        .no_secrets(&["az-json-token-7"]);
    assert_eq!(tokens_sent(&cosmos).await, vec![aad("az-json-token-7")]);

    // A token in a variable cannot change: a 401 is final.
    let cosmos = MockServer::start().await;
    refuse(
        &cosmos,
        401,
        "0",
        "The input authorization token can't serve the request.",
    )
    .await;
    let sb = token_profile(&cosmos, "token_env = \"MY_TOKEN\"").env("MY_TOKEN", "fixed-token-8");
    sb.run(&["db", "list", "--profile", "az"])
        .code(4)
        .no_secrets(&["fixed-token-8"])
        .stderr_has("hint: Cosmos refused the Entra ID token of the token from environment variable MY_TOKEN (token_env)");
    assert_eq!(requests(&cosmos).await.len(), 1);

    // Both ways at once, or neither, is a configuration error.
    let sb = token_profile(&cosmos, "token_env = \"MY_TOKEN\"\nclient_secret = \"s-1\"")
        .env("MY_TOKEN", "fixed-token-8");
    sb.run(&["db", "list", "--profile", "az"])
        .code(3)
        .stderr_has("profile 'az' gives both a token and a client secret; keep one");
    token_profile(&cosmos, "")
        .run(&["db", "list", "--profile", "az"])
        .code(3)
        .stderr_has("'tenant_id' in profile 'az' is not set; auth = \"entra\" takes tenant_id, client_id and client_secret (or a token_command)");
    token_profile(&cosmos, "auth_mode = 1")
        .run(&["db", "list", "--profile", "az"])
        .code(3)
        .stderr_has("unknown key `auth_mode`");
    Sandbox::new()
        .env("COSMOS_ENDPOINT", format!("{}/", cosmos.uri()))
        .env("COSMOS_AUTH", "aad")
        .run(&["db", "list", "-p", "cosmos"])
        .code(3)
        .stderr_has(
            "COSMOS_AUTH is \"aad\"; it is \"key\" (the account key, the default) or \"entra\"",
        );
}

// ---- against the emulator's own token endpoint ----

/// `emulator serve` whose tokens last `seconds` (blank: the default).
fn served(seconds: &str) -> Served {
    let mut command = Served::command(&["--seed", "demo"]);
    command.env("DBCTL_EMULATOR_TOKEN_SECONDS", seconds);
    Served::spawn(command)
}

/// A sandbox signing in to the emulated Cosmos account with Entra ID, as `emulator serve`
/// printed it.
fn entra(served: &Served) -> Sandbox {
    served.sandbox_for("COSMOS_").env("COSMOS_AUTH", "entra")
}

/// Emulator tokens (`emu.data.…`) and the client secret never show.
fn no_emulator_secrets(run: &Run, served: &Served) {
    let secret = served.var("COSMOS_CLIENT_SECRET");
    run.no_secrets(&[&secret, "emu.data.", "emu.none."]);
}

#[test]
fn the_emulator_lists_an_entra_account_and_renews_short_tokens() {
    let served = served("2");
    let base = served.var("COSMOS_ENDPOINT").replace("/cosmos/", "");
    assert_eq!(served.var("COSMOS_AUTHORITY_URL"), format!("{base}/entra"));
    let sb = entra(&served);
    let run = sb.run(&["db", "list", "-p", "cosmos", "--json", "-vv"]);
    run.code(0);
    no_emulator_secrets(&run, &served);
    let listed = run.json();
    let mut ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["Food DB", "inventory", "sessions", "télémétrie"]);
    // Polling for 3.5 s with tokens of 2 s: renewed before they expire, never refused.
    let run = sb.run(&[
        "db",
        "wait",
        "inventory",
        "-p",
        "cosmos",
        "--status",
        "deleting",
        "--timeout",
        "3.5",
        "--interval",
        "0.5",
        "-vv",
    ]);
    run.code(11);
    no_emulator_secrets(&run, &served);
    let fetches = run
        .stderr
        .lines()
        .filter(|l| {
            l.starts_with("dbctl: > POST ")
                && l.ends_with("/entra/dbctl-emulator/oauth2/v2.0/token")
        })
        .count();
    assert!(fetches >= 3, "{fetches} token requests:\n{}", run.stderr);
    assert!(!run.stderr.contains("< 401"), "{}", run.stderr);
    assert!(!run.stderr.contains("credential refused"), "{}", run.stderr);
}

#[test]
fn the_emulator_refuses_what_cosmos_refuses_to_entra_tokens() {
    let served = served("");
    // An application without a data-plane role.
    let run = entra(&served)
        .env("COSMOS_CLIENT_ID", "dbctl-emulator-app-without-role")
        .run(&["db", "list", "-p", "cosmos"]);
    run.code(4)
        .stderr_has("does not have required RBAC permissions")
        .stderr_has("\"Cosmos DB Built-in Data Reader\"");
    no_emulator_secrets(&run, &served);
    // Management operations over the data plane.
    let run = entra(&served).run(&[
        "db",
        "create",
        "--name",
        "orders",
        "-p",
        "cosmos",
        "--set",
        "throughput=400",
    ]);
    run.code(4)
        .stderr_has(
            "The given request [POST /dbs] cannot be authorized by AAD token in data plane.",
        )
        .stderr_has("az cosmosdb sql database create");
    no_emulator_secrets(&run, &served);
    entra(&served)
        .run(&["db", "delete", "inventory", "-p", "cosmos", "--yes"])
        .code(4)
        .stderr_has("The given request [DELETE /dbs/inventory] cannot be authorized by AAD token");
    // A token the emulator did not issue, in Cosmos's 401 shape.
    entra(&served)
        .env("COSMOS_TOKEN", "eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.")
        .env("COSMOS_CLIENT_SECRET", "")
        .run(&["db", "list", "-p", "cosmos"])
        .code(4)
        .stderr_has("cosmos answered 401 Unauthorized: The input authorization token can't serve the request.");
    // A wrong client secret, in Entra's words.
    entra(&served)
        .env("COSMOS_CLIENT_SECRET", "not-the-secret-1")
        .run(&["db", "list", "-p", "cosmos"])
        .code(4)
        .no_secrets(&["not-the-secret-1"])
        .stderr_has("AADSTS7000215: Invalid client secret provided.");
    // The key still reaches the same account, and the database is still there.
    served
        .sandbox_for("COSMOS_")
        .run(&["db", "get", "inventory", "-p", "cosmos"])
        .code(0);
}
