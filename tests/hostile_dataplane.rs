//! The Redis data plane against endpoints an attacker runs: endless or huge replies, endpoints
//! that never answer, and slowloris. Each test plays the attacker with a server written here,
//! and asserts what the user sees (exit code, every record's error) and, where memory is the
//! attack, the peak RSS of the dbctl process itself (`wait4`'s rusage of that child).
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::redis_server::RedisServer;
use crate::common::{Run, Sandbox};

const UPSTASH_KEY: &str = "fixture-upstash-api-key-123";
const DB_PASSWORD: &str = "hostile-plane-db-password-1";
const RC_KEY: &str = "fixture-rc-api-key-123";
const RC_SECRET: &str = "fixture-rc-secret-key-456";
/// The most the dbctl process may hold at its peak, whatever 1,000 endpoints send.
const PEAK_RSS_LIMIT: u64 = 100 * 1024 * 1024;

/// What a hostile endpoint does with every connection.
#[derive(Clone, Copy, Debug)]
enum Attack {
    /// A bulk string that claims 100 GB, then bytes without end.
    HugeBulk,
    /// A bulk string just under the cap that never ends where it says.
    EndlessBulk,
    /// A status line without an end.
    EndlessLine,
    /// Accepts, reads, never answers.
    Silent,
    /// One byte of a reply every 300 ms.
    Slowloris,
}

/// Serves `attack` on a free loopback port for as long as the test runs.
async fn hostile(attack: Attack) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, attack));
        }
    });
    port
}

async fn serve(mut stream: tokio::net::TcpStream, attack: Attack) {
    let chunk = vec![b'x'; 64 * 1024];
    let opening: &[u8] = match attack {
        Attack::HugeBulk => b"$100000000000\r\n",
        Attack::EndlessBulk => b"$1000000\r\n",
        Attack::EndlessLine => b"+",
        Attack::Silent => {
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
        Attack::Slowloris => {
            let _ = stream.write_all(b"+").await;
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if stream.write_all(b"P").await.is_err() {
                    return;
                }
            }
        }
    };
    if stream.write_all(opening).await.is_err() {
        return;
    }
    while stream.write_all(&chunk).await.is_ok() {}
}

/// An Upstash account whose databases are `(port, how many)` on 127.0.0.1, all in its one
/// list answer (with their passwords, as Upstash lists them): no per-database request.
async fn upstash_fleet(groups: &[(u16, usize)]) -> (MockServer, Sandbox) {
    let template = crate::common::fixture_json("upstash", "database-with-credentials.json");
    let mut records = Vec::new();
    for (port, count) in groups {
        for _ in 0..*count {
            let n = records.len();
            let mut record = template.clone();
            record["database_id"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
            record["database_name"] = json!(format!("db-{n:04}"));
            record["endpoint"] = json!("127.0.0.1");
            record["port"] = json!(port);
            record["tls"] = json!(false);
            record["password"] = json!(DB_PASSWORD);
            records.push(record);
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&records))
        .mount(&server)
        .await;
    // `db ping` reads each database for its password.
    Mock::given(method("GET"))
        .respond_with(move |request: &Request| {
            let id = request.url.path().rsplit('/').next().unwrap_or_default();
            match records.iter().find(|r| r["database_id"] == id) {
                Some(record) => ResponseTemplate::new(200).set_body_json(record),
                None => ResponseTemplate::new(404),
            }
        })
        .mount(&server)
        .await;
    // A budget above the fleet's 1,001 requests: these tests time the data plane, not it.
    let sandbox = Sandbox::new();
    sandbox.config(&format!(
        "[profiles.upstash]\nprovider = \"upstash\"\nemail = \"ops@example.com\"\napi_key = \"{UPSTASH_KEY}\"\nurl = \"{}/v2\"\nrate_limit = 100000\n",
        server.uri()
    ));
    (server, sandbox)
}

/// Redis Cloud subscriptions of 100 databases each on 127.0.0.1, the ports as `groups` say;
/// each database's list record carries its endpoint and password (usage needs no more).
struct RedisCloudFleet {
    /// Per subscription, its databases' records.
    pages: Vec<Vec<Value>>,
}

impl Respond for RedisCloudFleet {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let route = request.url.path();
        if route == "/v1/subscriptions" {
            let subscriptions: Vec<Value> = (0..self.pages.len())
                .map(|i| json!({"id": 3000000 + i, "numberOfDatabases": self.pages[i].len()}))
                .collect();
            return ResponseTemplate::new(200)
                .set_body_json(json!({ "subscriptions": subscriptions }));
        }
        if route == "/v1/fixed/subscriptions" {
            return ResponseTemplate::new(200).set_body_json(json!({"subscriptions": []}));
        }
        let subscription: Option<usize> = route
            .strip_prefix("/v1/subscriptions/")
            .and_then(|rest| rest.strip_suffix("/databases"))
            .and_then(|id| id.parse::<usize>().ok())
            .and_then(|id| id.checked_sub(3000000));
        let Some(databases) = subscription.and_then(|i| self.pages.get(i)) else {
            return ResponseTemplate::new(404);
        };
        let offset: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "offset")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let page: Vec<Value> = databases.iter().skip(offset).take(100).cloned().collect();
        ResponseTemplate::new(200).set_body_json(json!({"subscription": [{
            "subscriptionId": 3000000 + subscription.unwrap_or(0),
            "numberOfDatabases": databases.len(),
            "databases": page,
        }]}))
    }
}

async fn redis_cloud_fleet(groups: &[(u16, usize)]) -> (MockServer, Sandbox) {
    let template = crate::common::fixture_json("redis-cloud", "database-13008822.json");
    let mut all = Vec::new();
    for (port, count) in groups {
        for _ in 0..*count {
            let n = all.len();
            let mut record = template.clone();
            record["databaseId"] = json!(20000000 + n);
            record["name"] = json!(format!("db-{n:04}"));
            record["publicEndpoint"] = json!(format!("127.0.0.1:{port}"));
            record["security"]["enableTls"] = json!(false);
            record["security"]["password"] = json!(DB_PASSWORD);
            all.push(record);
        }
    }
    let pages = all.chunks(100).map(<[Value]>::to_vec).collect();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(RedisCloudFleet { pages })
        .mount(&server)
        .await;
    let sandbox = Sandbox::new()
        .env("REDIS_CLOUD_API_KEY", RC_KEY)
        .env("REDIS_CLOUD_SECRET_KEY", RC_SECRET)
        .env("REDIS_CLOUD_API_URL", format!("{}/v1", server.uri()));
    (server, sandbox)
}

/// Runs dbctl to the end off the test's runtime (whose tasks play the endpoints), and returns
/// what it printed and its own peak RSS in bytes: the kernel's high-water mark of the dbctl
/// process (`VmHWM`, which starts afresh at exec), read until it exits. (`wait4`'s
/// `ru_maxrss` would not do: Linux carries the parent's peak across fork and exec.)
async fn run_measured(sandbox: &Sandbox, args: &[&str]) -> (Run, u64) {
    let mut command = sandbox.command();
    command
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("spawn dbctl");
        let status_file = format!("/proc/{}/status", child.id());
        // Drain both pipes while it runs so a full pipe cannot stall it.
        let mut stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut text).ok();
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stderr, &mut text).ok();
            text
        });
        let mut peak_kib = 0u64;
        let status = loop {
            if let Some(kib) = std::fs::read_to_string(&status_file)
                .ok()
                .and_then(|text| high_water_kib(&text))
            {
                peak_kib = peak_kib.max(kib);
            }
            if let Some(status) = child.try_wait().expect("wait for dbctl") {
                break status;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: out.join().expect("stdout reader"),
            stderr: err.join().expect("stderr reader"),
        };
        assert!(peak_kib > 0, "no VmHWM was read: {run:?}");
        (run, peak_kib * 1024)
    })
    .await
    .expect("dbctl runner")
}

/// `VmHWM:   12345 kB` from `/proc/PID/status`.
fn high_water_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn records(run: &Run) -> Vec<Value> {
    run.json().as_array().expect("a JSON array").clone()
}

fn assert_bounded(what: &str, peak: u64) {
    eprintln!("{what}: peak RSS {:.1} MiB", peak as f64 / 1048576.0);
    assert!(
        peak < PEAK_RSS_LIMIT,
        "{what}: peak RSS {peak} bytes is over {PEAK_RSS_LIMIT}"
    );
}

/// 1,000 endpoints streaming replies without end: every ping fails with "reply too large"
/// (or a protocol error for the bulk that overruns its own length), and dbctl stays small.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_endless_replies_are_each_cut_at_the_cap() {
    let huge = hostile(Attack::HugeBulk).await;
    let endless_line = hostile(Attack::EndlessLine).await;
    let endless_bulk = hostile(Attack::EndlessBulk).await;
    let (_api, sb) = upstash_fleet(&[(huge, 600), (endless_line, 200), (endless_bulk, 200)]).await;
    let started = Instant::now();
    let (run, peak) = run_measured(&sb, &["db", "ping", "--json"]).await;
    let took = started.elapsed();
    run.code(12).no_secrets(&[DB_PASSWORD, UPSTASH_KEY]);
    let pings = records(&run);
    assert_eq!(pings.len(), 1000);
    for ping in &pings {
        assert_eq!(ping["ok"], false, "{ping}");
        let error = ping["error"].as_str().expect("an error");
        let port = ping["port"].as_u64().expect("port") as u16;
        let expected = if port == endless_bulk {
            "answered AUTH with something that is not a Redis reply: a bulk string longer than its length"
        } else {
            "sent a reply too large to AUTH (over 1 MiB)"
        };
        assert!(error.contains(expected), "{port}: {error}");
    }
    run.stderr_has("1000 of 1000 databases failed the ping");
    assert_bounded("db ping over 1,000 endless endpoints", peak);
    eprintln!("db ping over 1,000 endless endpoints: {took:?}");
}

/// 128 endpoints that never answer (as many as the run's data-plane connections) hold each
/// slot only until `--reply-timeout`: the 200 healthy databases behind them are all pinged,
/// and no error names a host that was not tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_endpoints_do_not_starve_the_healthy_ones() {
    let redis = RedisServer::start();
    let silent = hostile(Attack::Silent).await;
    let slow = hostile(Attack::Slowloris).await;
    let (_api, sb) = upstash_fleet(&[(silent, 120), (slow, 8), (redis.port, 200)]).await;
    use_fleet_password(&redis);
    let started = Instant::now();
    let (run, _) = run_measured(
        &sb,
        &[
            "db",
            "ping",
            "--json",
            "--reply-timeout",
            "1",
            "--count",
            "1",
        ],
    )
    .await;
    let took = started.elapsed();
    run.code(12);
    let pings = records(&run);
    assert_eq!(pings.len(), 328);
    let (healthy, stuck): (Vec<&Value>, Vec<&Value>) = pings
        .iter()
        .partition(|p| p["port"].as_u64() == Some(u64::from(redis.port)));
    assert!(
        healthy.iter().all(|p| p["ok"] == true),
        "every healthy database answered: {:?}",
        healthy.iter().find(|p| p["ok"] != true)
    );
    for ping in stuck {
        let error = ping["error"].as_str().expect("an error");
        assert!(error.contains("did not answer AUTH within 1s"), "{error}");
    }
    assert!(!run.stderr.contains("was not tried"), "{}", run.stderr);
    assert!(
        took < Duration::from_secs(8),
        "one reply deadline, not the run's: {took:?}"
    );
    run.stderr_has("128 of 328 databases failed the ping");
}

/// When the run's own deadline ends first, each error says what happened to its database:
/// tried and cut short, or never tried because every connection was taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_only_attempts_that_were_made() {
    let silent = hostile(Attack::Silent).await;
    let (_api, sb) = upstash_fleet(&[(silent, 200)]).await;
    let (run, _) = run_measured(
        &sb,
        &[
            "db",
            "ping",
            "--json",
            "--request-timeout",
            "2",
            "--reply-timeout",
            "30",
        ],
    )
    .await;
    run.code(12);
    let errors: Vec<String> = records(&run)
        .iter()
        .map(|p| p["error"].as_str().expect("an error").to_string())
        .collect();
    let tried = errors
        .iter()
        .filter(|e| e.contains("--request-timeout (2s) ran out talking to 127.0.0.1:"))
        .count();
    let untried = errors
        .iter()
        .filter(|e| e.contains("was not tried: --request-timeout (2s) ran out while other databases held every data-plane connection"))
        .count();
    assert_eq!((tried, untried), (128, 72), "{errors:#?}");
}

/// Gives the running `redis-server` the fleet's password ([`DB_PASSWORD`]).
fn use_fleet_password(redis: &RedisServer) {
    let output = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "--no-auth-warning"])
        .env("REDISCLI_AUTH", &redis.password)
        .args(["CONFIG", "SET", "requirepass", DB_PASSWORD])
        .output()
        .expect("redis-cli");
    assert!(output.status.success(), "{output:?}");
}

/// Usage over the data plane (Redis Cloud, INFO) from 1,000 hostile endpoints: figures fall
/// back to the API's, the run ends within the usage budget, and dbctl stays small.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_from_a_thousand_hostile_endpoints_is_bounded() {
    let huge = hostile(Attack::HugeBulk).await;
    let endless = hostile(Attack::EndlessLine).await;
    let silent = hostile(Attack::Silent).await;
    let (_api, sb) = redis_cloud_fleet(&[(huge, 400), (endless, 400), (silent, 200)]).await;
    for args in [
        &["db", "list", "--json"][..],
        &["db", "stats", "--json"][..],
        &["db", "list", "--usage", "--json"][..],
        &["check", "--rule", "memory", "--json"][..],
    ] {
        let started = Instant::now();
        let (run, peak) = run_measured(&sb, args).await;
        let took = started.elapsed();
        assert!(matches!(run.code, 0 | 13), "{args:?}: {}", run.stderr);
        run.no_secrets(&[DB_PASSWORD, RC_SECRET]);
        if args[0] != "check" {
            assert_eq!(records(&run).len(), 1000, "{args:?}");
        }
        if args[0] == "db" && args[1..] != ["list", "--json"] {
            run.stderr_has("INFO over the data plane failed");
        }
        assert!(took < Duration::from_secs(8), "{args:?} took {took:?}");
        assert_bounded(&args.join(" "), peak);
    }
}

/// `check --ping` over the same 1,000 hostile endpoints: every database is a `reachable`
/// finding that says why, in bounded memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ping_over_a_thousand_hostile_endpoints_is_bounded() {
    let huge = hostile(Attack::HugeBulk).await;
    let endless = hostile(Attack::EndlessLine).await;
    let (_api, sb) = upstash_fleet(&[(huge, 500), (endless, 500)]).await;
    let (run, peak) = run_measured(&sb, &["check", "--ping", "--rule", "status", "--json"]).await;
    run.code(13).no_secrets(&[DB_PASSWORD, UPSTASH_KEY]);
    let findings = records(&run);
    let unreachable: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "reachable")
        .collect();
    assert_eq!(unreachable.len(), 1000);
    assert!(unreachable.iter().all(|f| f["message"]
        .as_str()
        .is_some_and(|m| m.contains("reply too large"))));
    assert_bounded("check --ping over 1,000 endless endpoints", peak);
}
