//! Redis Enterprise through the real binary: wiremock servers fed from
//! fixtures/redis-enterprise, real TLS listeners with generated certificates, and the emulator.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::cases::redis_enterprise::{case, PASSWORD, USER};
use crate::common::{
    fixture, fixture_reply, refs, reply, requests, requests_with_method, when, Sandbox, Served,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{basic_auth, body_json, query_param};
use wiremock::{MockServer, ResponseTemplate};

const FX: &str = "redis-enterprise";

fn sandbox(server: &MockServer) -> Sandbox {
    sandbox_at(&server.uri())
}

fn sandbox_at(url: &str) -> Sandbox {
    case().sandbox_at(url)
}

fn secrets() -> Vec<String> {
    (case().secrets)()
}

fn json_reply(name: &str) -> ResponseTemplate {
    fixture_reply(200, FX, name)
}

async fn mount(server: &MockServer, verb: &str, route: &str, reply: ResponseTemplate) {
    when(verb, route)
        .and(basic_auth(USER, PASSWORD))
        .respond_with(reply)
        .mount(server)
        .await;
}

fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("bare array")
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no database {id} in {list}"))
}

// ---------------------------------------------------------------- list / get

#[tokio::test(flavor = "multi_thread")]
async fn list_normalizes_every_quirk_and_asks_only_for_used_fields() {
    let server = case().list_server().await;
    let run = sandbox(&server).run("db list --json");
    run.code(0).no_secrets(&refs(&secrets()));
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 6, "odd records still list");
    assert_eq!(
        find(&list, "1"),
        &json!({
            "provider": "redis-enterprise", "profile": "redis-enterprise", "id": "1",
            "name": "sessions", "status": "active", "provider_status": "active", "region": null,
            "endpoint": "redis-12000.cluster.example.com", "port": 12000, "tls": true,
            "memory_limit_bytes": 1073741824u64, "plan": null, "created_at": "2024-03-01T10:00:00Z",
            "regions": null
        })
    );
    let changing = find(&list, "2");
    assert_eq!(changing["status"], "pending");
    assert_eq!(changing["provider_status"], "active-change-pending");
    assert_eq!(
        changing["port"], 12001,
        "port 0 → the first endpoint's port"
    );
    assert_eq!(
        changing["endpoint"], "redis-12001.internal.cluster.example.com",
        "dns_address_master without its :port"
    );
    assert_eq!(changing["tls"], false);
    assert_eq!(changing["created_at"], "2024-04-15T12:30:45Z");
    let odd = find(&list, "3");
    assert_eq!(odd["status"], "unknown");
    assert_eq!(odd["provider_status"], "some-future-status");
    assert_eq!(odd["endpoint"], Value::Null);
    assert_eq!(odd["port"], Value::Null);
    assert_eq!(odd["memory_limit_bytes"], 2147483648u64, "size as a string");
    let going = find(&list, "4");
    assert_eq!(going["status"], "deleting");
    assert_eq!(going["tls"], true, "ssl when tls_mode is absent");
    assert_eq!(going["port"], 12004);
    assert_eq!(going["endpoint"], "redis-12004.cluster.example.com");
    assert_eq!(
        going["created_at"], "2024-03-01T10:00:00Z",
        "Unix seconds tolerated"
    );
    let failed = find(&list, "5");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["tls"], false, "replica_ssl secures replication only");
    assert_eq!(failed["memory_limit_bytes"], Value::Null);
    let loading = find(&list, "6");
    assert_eq!(loading["status"], "pending");
    assert_eq!(loading["provider_status"], "import-pending");
    assert_eq!(loading["endpoint"], "10.0.0.16", "an address when no name");

    let sent = requests(&server).await;
    let fields = sent[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "fields")
        .map(|(_, v)| v.to_string())
        .expect("?fields=");
    for used in ["uid", "name", "status", "memory_size", "port", "endpoints"] {
        assert!(fields.split(',').any(|f| f == used), "{fields}");
    }
    assert!(
        !fields.contains("authentication"),
        "never asks for secrets: {fields}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_table_and_raw_never_leak() {
    let server = case().list_server().await;
    let sb = sandbox(&server);
    let table = sb.run("list -p redis-enterprise");
    table.code(0).no_secrets(&refs(&secrets()));
    assert!(table
        .stdout
        .lines()
        .any(|l| l.contains("sessions") && l.contains("1 GiB")));
    let raw = sb.run("db list --json --raw -vv");
    raw.code(0).no_secrets(&refs(&secrets()));
    let list = raw.json();
    let first = find(&list, "1");
    assert_eq!(first["raw"]["authentication_redis_pass"], "***");
    assert_eq!(first["raw"]["authentication_admin_pass"], "***");
    assert_eq!(first["raw"]["shards_count"], 2);
    raw.stderr_has("authorization: ***");
    // --raw wants the whole record: no field list.
    let sent = requests(&server).await;
    assert!(sent.last().unwrap().url.query().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn get_reads_one_bdb() {
    let server = MockServer::start().await;
    mount(&server, "GET", "/v1/bdbs/1", json_reply("bdb-1.json")).await;
    let run = sandbox(&server).run("db get 1 --json");
    run.code(0).no_secrets(&refs(&secrets()));
    let db = run.json();
    assert_eq!(db["name"], "sessions");
    assert_eq!(db["endpoint"], "redis-12000.cluster.example.com");
    assert_eq!(db["port"], 12000);
    let sent = requests(&server).await;
    assert!(sent[0].url.query().unwrap_or("").contains("fields="));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_uid_that_is_not_a_number_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let sb = sandbox(&server);
    for args in [
        &["db", "get", "sessions"][..],
        &["db", "delete", "abc", "--yes"][..],
        &["db", "update", "0", "--memory", "1GB"][..],
        &["db", "url", "--", "-1"][..],
    ] {
        sb.run(args).code(6).stderr_has("uid");
    }
    // Each could be a name: looked up in the list, nothing else asked.
    let sent = requests(&server).await;
    assert!(sent.iter().all(|r| r.url.path() == "/v1/bdbs"));
}

/// A plain-HTTP server that drops the first `resets` connections after reading the request,
/// then answers the list.
async fn flaky_server(resets: usize) -> (SocketAddr, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(0usize));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let n = {
                let mut seen = counter.lock().unwrap();
                *seen += 1;
                *seen
            };
            tokio::spawn(async move {
                if read_head(&mut tcp).await.is_none() {
                    return;
                }
                if n <= resets {
                    let _ = tcp.set_zero_linger();
                    drop(tcp);
                    return;
                }
                let _ = tcp.write_all(&canned(&fixture(FX, "bdbs.json"))).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    (addr, seen)
}

async fn read_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn canned(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_resets_on_get_are_retried() {
    let (addr, seen) = flaky_server(1).await;
    let run = sandbox_at(&format!("http://{addr}")).run("db list --json -v");
    run.code(0).stderr_has("retrying");
    assert_eq!(run.json().as_array().unwrap().len(), 6);
    assert_eq!(*seen.lock().unwrap(), 2);
}

// ---------------------------------------------------------------- writes

#[tokio::test(flavor = "multi_thread")]
async fn create_wait_polls_until_active() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/v1/bdbs", json_reply("created.json")).await;
    when("GET", "/v1/bdbs/7")
        .respond_with(json_reply("created.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "GET",
        "/v1/bdbs/7",
        json_reply("created-active.json"),
    )
    .await;
    let run = sandbox(&server).run("db create --name new-cache --memory 256MB --wait --json");
    run.code(0).no_secrets(&refs(&secrets()));
    let db = run.json();
    assert_eq!(db["status"], "active");
    assert_eq!(db["endpoint"], "redis-12007.cluster.example.com");
    let gets = requests_with_method(&server, "GET").await;
    assert_eq!(gets, 2, "polled until active");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_dry_run_asks_the_cluster_and_changes_nothing() {
    let server = MockServer::start().await;
    when("POST", "/v1/bdbs")
        .and(query_param("dry_run", "true"))
        .respond_with(json_reply("dry-run.json"))
        .expect(1)
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db create --name trial --memory 1GB --set authentication_redis_pass=chosen-secret-pass --dry-run --json");
    run.code(0)
        .no_secrets(&refs(&secrets()))
        .no_secrets(&["chosen-secret-pass"]);
    let out = run.json();
    assert_eq!(out["dry_run"], true);
    assert_eq!(
        out["requests"][0]["body"]["authentication_redis_pass"],
        "***"
    );
    assert_eq!(out["validated"], true);
    assert_eq!(out["answer"]["memory_size"], 2147483648u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_refusals_map_to_exit_codes_with_descriptions() {
    for (status, fixture_name, code, needle) in [
        (
            409,
            "duplicate-name.json",
            7,
            "Database with the same name already exists",
        ),
        (
            400,
            "missing-db-name.json",
            6,
            "DB name is a required property",
        ),
        (
            400,
            "missing-memory-size.json",
            6,
            "Memory Size is a required property",
        ),
        (406, "invalid-config.json", 6, "too small for replication"),
    ] {
        let server = MockServer::start().await;
        mount(
            &server,
            "POST",
            "/v1/bdbs",
            fixture_reply(status, FX, fixture_name),
        )
        .await;
        let run = sandbox(&server).run("db create --name x --retries 3");
        run.code(code).stderr_has(needle).no_secrets(&[PASSWORD]);
        assert_eq!(requests(&server).await.len(), 1, "a POST is never repeated");
        if fixture_name == "missing-memory-size.json" {
            run.stderr_has("--memory");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn update_refusals_surface_the_description() {
    for (status, name, code) in [(406, "invalid-config.json", 6), (409, "busy.json", 7)] {
        let server = MockServer::start().await;
        mount(
            &server,
            "PUT",
            "/v1/bdbs/1",
            fixture_reply(status, FX, name),
        )
        .await;
        let run = sandbox(&server).run("db update 1 --set replication=true");
        run.code(code);
        assert!(run.stderr.contains("description") || run.stderr.contains('.'));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn flush_and_reset_password_are_bdb_actions_behind_yes() {
    let server = MockServer::start().await;
    when("PUT", "/v1/bdbs/1/flush")
        .respond_with(json_reply("bdb-1.json"))
        .expect(1)
        .mount(&server)
        .await;
    when("PUT", "/v1/bdbs/1/reset_admin_pass")
        .respond_with(json_reply("bdb-1.json"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = sandbox(&server);
    sb.run("db flush 1").code(6).stderr_has("--yes");
    sb.run("db reset-password 1").code(6).stderr_has("--yes");
    assert!(requests(&server).await.is_empty());
    sb.run("db flush 1 --yes")
        .code(0)
        .stdout_has("flushed")
        .no_secrets(&refs(&secrets()));
    sb.run("db reset-password 1 --yes")
        .code(0)
        .stdout_has("reset")
        .stderr_has("admin password")
        .stderr_has("is unchanged")
        .no_secrets(&refs(&secrets()));
}

/// Redis Enterprise accepting exactly one import of `sources` into database 6.
pub async fn import_server(sources: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    when("POST", "/v1/bdbs/6/actions/import")
        .and(body_json(
            json!({"dataset_import_sources": sources, "email_notification": false}),
        ))
        .respond_with(reply(
            200,
            json!({"action_uid": "0a1b2c3d-0000-4000-8000-00000000000f"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn import_starts_a_cluster_action() {
    let server = import_server(json!([
        {"type": "url", "url": "https://dumps.example.com/a.rdb.gz"},
        {"type": "url", "url": "https://dumps.example.com/b.rdb.gz"}
    ]))
    .await;
    let sb = sandbox(&server);
    let run = sb.run("db import 6 --source-type https --uri https://dumps.example.com/a.rdb.gz --uri https://dumps.example.com/b.rdb.gz --yes --json");
    run.code(0);
    assert_eq!(run.json()["id"], "0a1b2c3d-0000-4000-8000-00000000000f");
    sb.run("db import 6 --source-type redis --uri redis://elsewhere:6379 --yes")
        .code(6)
        .stderr_has("accepted");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_read_actions_with_numeric_or_text_progress() {
    let server = MockServer::start().await;
    let running = "e5c1f7a2-5b7d-4a0c-9d7e-1f2a3b4c5d6e";
    let failed = "0a1b2c3d-0000-4000-8000-00000000000f";
    when("GET", format!("/v1/actions/{running}"))
        .respond_with(json_reply("action-running.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "GET",
        &format!("/v1/actions/{running}"),
        json_reply("action-completed.json"),
    )
    .await;
    mount(
        &server,
        "GET",
        &format!("/v1/actions/{failed}"),
        json_reply("action-failed.json"),
    )
    .await;
    let sb = sandbox(&server);
    let task = sb.run(&["task", "get", running, "--json"]);
    task.code(0);
    let task = task.json();
    assert_eq!(task["status"], "running");
    assert_eq!(task["provider_status"], "running (45.5%)");
    assert_eq!(task["resource_id"], "1");
    let done = sb.run(&["task", "wait", running, "--json"]);
    done.code(0);
    assert_eq!(done.json()["status"], "completed");
    sb.run(&["task", "wait", failed])
        .code(8)
        .stderr_has("Failed downloading the dataset");
    sb.run("task get nope-404").code(5);
}

#[tokio::test(flavor = "multi_thread")]
async fn url_uses_the_redis_password_only_when_shown() {
    let server = MockServer::start().await;
    mount(&server, "GET", "/v1/bdbs/1", json_reply("bdb-1.json")).await;
    mount(&server, "GET", "/v1/bdbs/9", json_reply("bdb-nopass.json")).await;
    let sb = sandbox(&server);
    let masked = sb.run("db url 1");
    masked.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(
        masked.stdout.trim(),
        "rediss://default:***@redis-12000.cluster.example.com:12000"
    );
    let shown = sb.run("db url 1 --show-secrets");
    shown.code(0);
    let decoded = percent_encoding::percent_decode_str(shown.stdout.trim())
        .decode_utf8()
        .unwrap()
        .to_string();
    assert_eq!(
        decoded,
        "rediss://default:fixture-re-redis-pass-1@redis-12000.cluster.example.com:12000"
    );
    let open = sb.run("db url 9 --show-secrets");
    open.code(0);
    assert_eq!(
        open.stdout.trim(),
        "redis://redis-12009.cluster.example.com:12009"
    );
    let sent = requests(&server).await;
    assert!(sent[0]
        .url
        .query()
        .unwrap_or("")
        .contains("authentication_redis_pass"));
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_read_password_env() {
    let server = case().list_server().await;
    let sb = Sandbox::new().env("RE_PROD_PASSWORD", PASSWORD);
    sb.config(&format!(
        "[profiles.onprem]\nprovider = \"redis-enterprise\"\nurl = \"{}\"\nuser = \"{USER}\"\npassword_env = \"RE_PROD_PASSWORD\"\n",
        server.uri()
    ));
    let run = sb.run("db list --profile onprem --json");
    run.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(run.json()[0]["profile"], "onprem");
}

// ---------------------------------------------------------------- real TLS

pub struct Pki {
    pub cert_pem: String,
    cert_der: rustls::pki_types::CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Pki {
    /// A certificate `params` describe, signed by its own new key.
    fn self_signed(params: rcgen::CertificateParams) -> Pki {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Pki {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

/// A self-signed certificate for `names`, `CA:TRUE` like the clusters' own.
fn self_signed_ca(names: &[&str]) -> Pki {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "cluster.local");
    Pki::self_signed(params)
}

/// A leaf for `names` signed by a separate CA; returns (leaf, CA PEM).
pub fn ca_signed_leaf(names: &[&str]) -> (Pki, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "dbctl test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    (
        Pki {
            cert_pem: leaf.pem(),
            cert_der: leaf.der().clone(),
            key_der: leaf_key.serialize_der(),
        },
        ca.pem(),
    )
}

/// A TLS listener on 127.0.0.1 answering every request with the bdb list; records request heads.
pub async fn tls_server(pki: &Pki) -> (u16, Arc<Mutex<Vec<String>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.cert_der.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.key_der.clone().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Some(head) = read_head(&mut tls).await else {
                    return;
                };
                seen.lock().unwrap().push(head);
                let _ = tls.write_all(&canned(&fixture(FX, "bdbs.json"))).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, heads)
}

fn write_pem(sb: &Sandbox, name: &str, pem: &str) -> String {
    let file = sb.home.path().join(name);
    std::fs::write(&file, pem).unwrap();
    file.display().to_string()
}

/// `sb` with `pem` as its cluster's CA file (`REDIS_ENTERPRISE_CA_CERT`).
fn trusting(mut sb: Sandbox, pem: &str) -> Sandbox {
    let ca = write_pem(&sb, "ca.pem", pem);
    sb.set_env("REDIS_ENTERPRISE_CA_CERT", ca);
    sb
}

/// A cluster at 127.0.0.1 serving `served`, and a sandbox that trusts `pem` for it.
async fn cluster_trusting(served: &Pki, pem: &str) -> (Sandbox, Arc<Mutex<Vec<String>>>) {
    let (port, heads) = tls_server(served).await;
    (
        trusting(sandbox_at(&format!("https://127.0.0.1:{port}")), pem),
        heads,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_self_signed_cluster_is_refused_by_default_with_a_hint() {
    let pki = self_signed_ca(&["localhost", "127.0.0.1"]);
    let (port, heads) = tls_server(&pki).await;
    let sb = sandbox_at(&format!("https://127.0.0.1:{port}"));
    let run = sb.run("db list --retries 3");
    run.code(10)
        .stderr_has("certificate")
        .stderr_has("REDIS_ENTERPRISE_CA_CERT")
        .stderr_has("REDIS_ENTERPRISE_INSECURE")
        .no_secrets(&[PASSWORD]);
    assert!(run.stdout.is_empty());
    assert!(heads.lock().unwrap().is_empty(), "no request got through");
    let json = sb.run("db list --json");
    json.code(10);
    let line: Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(line["error"]["kind"], "network");
    assert!(line["error"]["hint"]
        .as_str()
        .unwrap()
        .contains("REDIS_ENTERPRISE_CA_CERT"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_the_clusters_own_ca_true_certificate_works_as_the_ca_file() {
    let pki = self_signed_ca(&["localhost", "127.0.0.1"]);
    let (port, heads) = tls_server(&pki).await;
    for host in ["127.0.0.1", "localhost"] {
        let sb = trusting(sandbox_at(&format!("https://{host}:{port}")), &pki.cert_pem);
        let run = sb.run("db list --json");
        run.code(0).no_secrets(&refs(&secrets()));
        assert_eq!(run.json().as_array().unwrap().len(), 6);
        assert!(
            !run.stderr.contains("warning"),
            "verification stayed on: {}",
            run.stderr
        );
    }
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 2);
    assert!(heads[0]
        .to_ascii_lowercase()
        .contains("authorization: basic"));
    // The same through a profile's ca_cert.
    drop(heads);
    let sb = Sandbox::new().env("RE_PASSWORD", PASSWORD);
    let ca = write_pem(&sb, "cluster.pem", &pki.cert_pem);
    sb.config(&format!(
        "[profiles.onprem]\nprovider = \"redis-enterprise\"\nurl = \"https://127.0.0.1:{port}\"\nuser = \"{USER}\"\npassword_env = \"RE_PASSWORD\"\nca_cert = \"{ca}\"\n"
    ));
    sb.run("db list --json").code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_the_ca_file_does_not_excuse_a_wrong_host_name() {
    let pki = self_signed_ca(&["cluster.other.example"]);
    let (sb, heads) = cluster_trusting(&pki, &pki.cert_pem).await;
    let run = sb.run("db list");
    run.code(10)
        .stderr_has("certificate")
        .stderr_has("127.0.0.1");
    assert!(heads.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_another_certificate_in_the_ca_file_is_refused() {
    let served = self_signed_ca(&["localhost", "127.0.0.1"]);
    let other = self_signed_ca(&["localhost", "127.0.0.1"]);
    let (sb, heads) = cluster_trusting(&served, &other.cert_pem).await;
    sb.run("db list")
        .code(10)
        .stderr_has("certificate")
        .stderr_has("not in the CA file");
    assert!(heads.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_an_expired_pinned_certificate_is_refused() {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
    params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let pki = Pki::self_signed(params);
    let (sb, _) = cluster_trusting(&pki, &pki.cert_pem).await;
    sb.run("db list")
        .code(10)
        .stderr_has("certificate")
        .stderr_has("expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_a_self_signed_non_ca_certificate_works_as_the_ca_file() {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::NoCa;
    let pki = Pki::self_signed(params);
    let (sb, _) = cluster_trusting(&pki, &pki.cert_pem).await;
    sb.run("db list --json").code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_a_proper_ca_chain_still_verifies() {
    let (leaf, ca_pem) = ca_signed_leaf(&["127.0.0.1"]);
    let (sb, _) = cluster_trusting(&leaf, &ca_pem).await;
    sb.run("db list --json").code(0);
    // Without the CA file the same server is refused.
    sb.cmd()
        .env_remove("REDIS_ENTERPRISE_CA_CERT")
        .args(["db", "list"])
        .assert()
        .code(10);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_insecure_skips_verification_for_that_profile_only_and_warns() {
    let pki = self_signed_ca(&["localhost", "127.0.0.1"]);
    let (port, _) = tls_server(&pki).await;
    let sb =
        sandbox_at(&format!("https://127.0.0.1:{port}")).env("REDIS_ENTERPRISE_INSECURE", "true");
    let run = sb.run("db list --json");
    run.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(run.json().as_array().unwrap().len(), 6);
    // Under --json the warning is a JSON line too.
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("{\"warning\""))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains("verification is off"));
    // Two profiles on the same cluster: only the insecure one gets through.
    let sb = Sandbox::new().env("RE_PASSWORD", PASSWORD);
    sb.config(&format!(
        "[profiles.lab]\nprovider = \"redis-enterprise\"\nurl = \"https://127.0.0.1:{port}\"\nuser = \"{USER}\"\npassword_env = \"RE_PASSWORD\"\ninsecure = true\n\n\
         [profiles.prod]\nprovider = \"redis-enterprise\"\nurl = \"https://127.0.0.1:{port}\"\nuser = \"{USER}\"\npassword_env = \"RE_PASSWORD\"\n"
    ));
    let run = sb.run("db list --json");
    run.code(12).stderr_has("prod").stderr_has("certificate");
    let listed = run.json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["profile"] == "lab"));
    assert!(run.stderr.contains("'lab'") && !run.stderr.contains("'prod' (redis"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_a_ca_file_that_is_not_pem_is_a_config_error() {
    let sb = sandbox_at("https://127.0.0.1:9");
    let bad = write_pem(&sb, "bad.pem", "not a certificate\n");
    sb.env("REDIS_ENTERPRISE_CA_CERT", bad)
        .run("db list")
        .code(3)
        .stderr_has("bad.pem");
    sandbox_at("https://127.0.0.1:9")
        .env("REDIS_ENTERPRISE_CA_CERT", "/nonexistent/ca.pem")
        .run("db list")
        .code(3)
        .stderr_has("/nonexistent/ca.pem");
}

// ---------------------------------------------------------------- emulator

#[tokio::test(flavor = "multi_thread")]
async fn demo_lists_seeded_bdbs_and_runs_create_get_delete() {
    let sb = Sandbox::new();
    let list = sb.run("--demo db list -p redis-enterprise --json");
    list.code(0)
        .no_secrets(&["demo-re-redis-pass-1", "demo-re-cluster-password"]);
    let list = list.json();
    assert!(list.as_array().unwrap().len() >= 3);
    assert_eq!(find(&list, "2")["provider_status"], "active-change-pending");
    assert_eq!(find(&list, "4")["port"], 12004, "port 0 → the endpoint's");
    // Waiting on the fast clock; the busy database below on the real one.
    let fast = Sandbox::new().fast();
    let created = fast.run("--demo db create -p redis-enterprise --name fresh --memory 100MB --set shards_count=2 --wait --json");
    created.code(0);
    assert_eq!(created.json()["status"], "active");
    sb.run("--demo db get 1 -p redis-enterprise --json")
        .code(0)
        .stdout_has("session-store");
    fast.run("--demo db delete 1 -p redis-enterprise --yes --wait")
        .code(0);
    // The cluster refuses to delete a database in the middle of a change.
    sb.run("--demo db delete 2 -p redis-enterprise --yes")
        .code(7)
        .stderr_has("busy");
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_is_stateful_across_commands() {
    let served = Served::start(&[]);
    let sb = served.sandbox_for("REDIS_ENTERPRISE_");
    let created = sb.run("db create --name orders --memory 512MB --json");
    created.code(0);
    let created = created.json();
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().unwrap().to_string();
    sb.run("db create --name orders --memory 512MB")
        .code(7)
        .stderr_has("already exists");
    sb.run("db create --name nomem")
        .code(6)
        .stderr_has("Memory Size is a required property")
        .stderr_has("--memory");
    sb.run(&[
        "db",
        "wait",
        &id,
        "--status",
        "active",
        "--interval",
        "0.3",
        "--timeout",
        "10",
    ])
    .code(0);
    let listed = sb.run("db list --json");
    listed.code(0);
    assert_eq!(find(&listed.json(), &id)["name"], "orders");
    let updated = sb.run(&["db", "update", &id, "--memory", "1GB", "--json"]);
    updated.code(0);
    assert_eq!(updated.json()["provider_status"], "active-change-pending");
    sb.run(&["db", "update", &id, "--memory", "2GB"])
        .code(7)
        .stderr_has("busy");
    let dry = sb.run("db update 1 --memory 3GB --dry-run --json");
    dry.code(0).no_secrets(&["demo-re-redis-pass-1"]);
    assert_eq!(dry.json()["answer"]["memory_size"], 3u64 << 30);
    let unchanged = sb.run("db get 1 --json");
    assert_eq!(
        unchanged.json()["memory_limit_bytes"],
        1u64 << 30,
        "dry run changed nothing"
    );
    let import =
        sb.run("db import 1 --source-type ftp --uri ftp://backups.example/x.rdb --yes --json");
    import.code(0);
    let action = import.json()["id"].as_str().unwrap().to_string();
    let task = sb.run(&["task", "wait", &action, "--interval", "0.1", "--json"]);
    task.code(0);
    assert_eq!(task.json()["status"], "completed");
    assert_eq!(task.json()["resource_id"], "1");
    sb.run("db flush 3 --yes").code(0);
    sb.run("db get 999").code(5).stderr_has("does not exist");
    sb.run("db delete 3 --yes --wait").code(0);
    sb.run("db get 3").code(5);
    let url = served.var("REDIS_ENTERPRISE_URL");
    let wrong = sandbox_at(&url).env("REDIS_ENTERPRISE_PASSWORD", "wrong");
    wrong.run("db list").code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_faults_are_ridden_out_by_retries() {
    let served = Served::start(&["--fault", "503:2"]);
    let sb = served.sandbox_for("REDIS_ENTERPRISE_");
    for _ in 0..3 {
        sb.run("db list --json").code(0);
    }
}
