//! `dbctl metrics serve`: a real Prometheus scrapes it against the emulator; scrapes during a
//! reading cost the providers nothing; a failing profile goes down alone; a 1,000-database
//! Redis Cloud fleet stays within its budget; memory stays flat; SIGTERM ends it cleanly.
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::cases;
use crate::common::{mount_record, Sandbox, Served};

/// `dbctl metrics serve` on a free loopback port; killed when dropped.
struct Exporter {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Exporter {
    fn start(sandbox: &Sandbox, args: &[&str]) -> Exporter {
        let mut child = sandbox
            .command()
            .args(["metrics", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start metrics serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let first = lines.next().expect("a first line").expect("stderr");
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        let stderr = Arc::new(Mutex::new(format!("{first}\n")));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        Exporter {
            child,
            addr,
            stderr,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body")
    }

    /// Waits until the exposition satisfies `ready`, and returns it.
    async fn until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.metrics().await;
            if ready(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "never {what}:\n{text}\n--- stderr\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` and waits for the exit; (exit code, stderr).
    fn stop(mut self, signal: &str) -> (Option<i32>, String) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                std::thread::sleep(Duration::from_millis(100));
                return (status.code(), self.stderr());
            }
            assert!(Instant::now() < deadline, "still running after {signal}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory, from /proc.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the series `name` whose labels contain every one of `labels`.
fn value(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn profile(name: &str) -> String {
    format!("profile=\"{name}\"")
}

/// A tool the test needs: its path, or `None` to skip outside CI (under `CI=true` a missing
/// tool fails the test: `.ci/run` installs it).
pub fn tool(name: &str) -> Option<String> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    match found {
        Some(path) => Some(path.display().to_string()),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{name} is not installed; .ci/run installs it (Debian package {name})")
        }
        None => {
            eprintln!("skipped: {name} is not installed");
            None
        }
    }
}

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The README's Grafana query: memory used against the limit, by name.
const GRAFANA_QUERY: &str =
    "dbctl_database_memory_used_ratio * on (provider, profile, id) group_left (name) dbctl_database_info";

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_every_provider_from_the_emulator() {
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let readme = include_str!("../README.md");
    assert!(
        readme.contains(GRAFANA_QUERY),
        "the README shows the query tested here"
    );
    let served = Served::start(&[]);
    let exporter = Exporter::start(&served.sandbox(), &["--interval", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: dbctl\n    static_configs:\n      - targets: [\"{}\"]\n",
            exporter.addr
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let mut server = std::process::Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let query = |q: &'static str| {
        let web = web.clone();
        async move {
            let url = format!("http://{web}/api/v1/query");
            let answer = reqwest::Client::new()
                .get(url)
                .query(&[("query", q)])
                .send()
                .await
                .ok()?
                .json::<Value>()
                .await
                .ok()?;
            answer["data"]["result"].as_array().cloned()
        }
    };
    // Memory for the three Redis providers, throughput for Cosmos, the rest for all four.
    let redis = ["upstash", "redis-cloud", "redis-enterprise"];
    let providers = ["upstash", "redis-cloud", "redis-enterprise", "cosmos"];
    let deadline = Instant::now() + Duration::from_secs(90);
    let (limits, by_name, up) = loop {
        let limits = query("dbctl_database_memory_limit_bytes")
            .await
            .unwrap_or_default();
        let by_name = query(GRAFANA_QUERY).await.unwrap_or_default();
        let up = query("dbctl_profile_up").await.unwrap_or_default();
        let info = query("dbctl_database_info").await.unwrap_or_default();
        let ru = query("dbctl_database_throughput_ru_per_second")
            .await
            .unwrap_or_default();
        let every = |series: &[Value], of: &[&str]| {
            of.iter()
                .all(|p| series.iter().any(|s| s["metric"]["provider"] == *p))
        };
        if every(&limits, &redis)
            && every(&by_name, &redis)
            && every(&up, &providers)
            && every(&info, &providers)
            && every(&ru, &["cosmos"])
        {
            break (limits, by_name, up);
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never had every provider: {limits:?} {up:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let _ = server.kill();
    let _ = server.wait();
    for series in &up {
        assert_eq!(series["value"][1], "1", "{series}");
        assert_eq!(series["metric"]["job"], "dbctl");
    }
    assert!(limits
        .iter()
        .all(|s| s["value"][1].as_str().unwrap().parse::<f64>().unwrap() > 0.0));
    // The Grafana query names each database; the ratio is the used / limit dbctl read.
    for series in &by_name {
        let name = series["metric"]["name"].as_str().unwrap();
        assert!(!name.is_empty(), "{series}");
        let ratio: f64 = series["value"][1].as_str().unwrap().parse().unwrap();
        assert!((0.0..=2.0).contains(&ratio), "{series}");
    }
    eprintln!(
        "Prometheus has {} memory limit series and {} named ratios",
        limits.len(),
        by_name.len()
    );
}

/// Upstash answers, counted: the list (after `delay`), and each database's stats.
async fn upstash(server: &MockServer, delay: Duration, names: &[&str]) {
    let records: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"database_id": format!("u{i}"), "database_name": name, "state": "active",
                "primary_region": "us-east-1", "endpoint": "h.upstash.io", "port": 6379,
                "tls": true, "db_memory_threshold": 1_073_741_824u64})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(records)
                .set_delay(delay),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v2/redis/stats/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "current_storage": 536_870_912u64,
            "throughput": [{"x": "2025-08-31 15:12:52.799480932 +0000 UTC", "y": 12.5}],
            "connection_count": [{"x": "2025-08-31 15:12:52.799480932 +0000 UTC", "y": 3}]
        })))
        .mount(server)
        .await;
}

fn upstash_profile(name: &str, server: &MockServer, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nprovider = \"upstash\"\nemail = \"ops@example.com\"\napi_key = \"key-{name}-0123456789\"\nurl = \"{}/v2\"\n{extra}\n",
        server.uri()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_scrapes_during_a_reading_cost_the_provider_nothing() {
    let server = MockServer::start().await;
    // The reading takes at least 3 s: every scrape below lands inside it or after it.
    upstash(&server, Duration::from_secs(3), &["cache", "queue"]).await;
    let sandbox = Sandbox::new();
    sandbox.config(&upstash_profile("load", &server, ""));
    let exporter = Exporter::start(&sandbox, &["--interval", "3600"]);
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.received_requests().await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the first reading never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for round in ["during the first reading", "after it"] {
        if round == "after it" {
            exporter
                .until("read", |t| {
                    value(t, "dbctl_profile_up", &[&profile("load")]) == Some(1.0)
                })
                .await;
        }
        let scrapes = (0..200).map(|_| {
            let client = client.clone();
            let url = exporter.url("/metrics");
            tokio::spawn(async move {
                let started = Instant::now();
                let answer = client
                    .get(url)
                    .header("accept", "application/openmetrics-text;version=1.0.0")
                    .send()
                    .await
                    .expect("every scrape answers");
                assert_eq!(answer.status(), 200);
                let kind = answer.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let body = answer.text().await.unwrap();
                assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
                assert!(body.ends_with("# EOF\n"), "{body}");
                started.elapsed()
            })
        });
        for scrape in futures::future::join_all(scrapes).await {
            latencies.push(scrape.unwrap());
        }
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            if round == "after it" { 3 } else { 1 },
            "{round}: the list (and the stats after it), nothing for the scrapes"
        );
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100 - 1];
    eprintln!(
        "400 scrapes: p50 {:?}, p99 {p99:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    assert!(p99 < Duration::from_secs(2), "p99 {p99:?}");
    let text = exporter.metrics().await;
    assert_eq!(
        value(&text, "dbctl_provider_requests_total", &[&profile("load")]),
        Some(3.0)
    );
    assert_eq!(
        value(&text, "dbctl_database_memory_used_ratio", &["id=\"u0\""]),
        Some(0.5)
    );
    assert_eq!(
        value(&text, "dbctl_database_ops_per_second", &["id=\"u1\""]),
        Some(12.5)
    );
    assert_eq!(
        value(&text, "dbctl_database_connections", &["id=\"u1\""]),
        Some(3.0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_profile_goes_down_alone_and_keeps_its_last_values() {
    let good = MockServer::start().await;
    let flaky = MockServer::start().await;
    upstash(&good, Duration::ZERO, &["steady"]).await;
    upstash(&flaky, Duration::ZERO, &["wobbly"]).await;
    let sandbox = Sandbox::new();
    sandbox.config(&format!(
        "{}{}",
        upstash_profile("good", &good, ""),
        upstash_profile("flaky", &flaky, "")
    ));
    let exporter = Exporter::start(&sandbox, &["--interval", "0.5", "--retries", "1"]);
    let both_up = |t: &str| {
        ["good", "flaky"]
            .iter()
            .all(|p| value(t, "dbctl_profile_up", &[&profile(p)]) == Some(1.0))
    };
    exporter.until("both up", both_up).await;
    // Mid-run, the flaky account starts answering 500.
    flaky.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&flaky)
        .await;
    let down = exporter
        .until("flaky down", |t| {
            value(t, "dbctl_profile_up", &[&profile("flaky")]) == Some(0.0)
        })
        .await;
    let good_before = value(
        &down,
        "dbctl_profile_last_success_timestamp_seconds",
        &[&profile("good")],
    )
    .unwrap();
    let later = exporter
        .until("good read again", |t| {
            value(
                t,
                "dbctl_profile_last_success_timestamp_seconds",
                &[&profile("good")],
            )
            .is_some_and(|at| at > good_before)
        })
        .await;
    assert_eq!(
        value(&later, "dbctl_profile_up", &[&profile("good")]),
        Some(1.0)
    );
    assert_eq!(
        value(&later, "dbctl_profile_up", &[&profile("flaky")]),
        Some(0.0)
    );
    // Stale, not gone: the flaky profile's database keeps its last reading.
    assert!(later.contains("name=\"wobbly\""), "{later}");
    assert_eq!(
        value(
            &later,
            "dbctl_database_memory_used_bytes",
            &[&profile("flaky")]
        ),
        Some(536_870_912.0)
    );
    assert!(
        value(
            &later,
            "dbctl_profile_refresh_errors_total",
            &[&profile("flaky")]
        )
        .unwrap()
            >= 1.0
    );
    assert_eq!(
        value(
            &later,
            "dbctl_profile_refresh_errors_total",
            &[&profile("good")]
        ),
        Some(0.0)
    );
    let (code, stderr) = exporter.stop("TERM");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: profile flaky (upstash): reading failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("key-flaky-0123456789") && !stderr.contains("key-good-0123456789"));
    assert!(stderr.ends_with("metrics serve stopped\n"), "{stderr}");
}

/// Redis Cloud: `subscriptions` × `per` databases, each request's arrival time recorded.
struct RedisCloudFleet {
    subscriptions: usize,
    per: usize,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for RedisCloudFleet {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let record = |sub: usize, db: usize, password: bool| {
            let mut record = json!({"databaseId": db, "name": format!("db-{sub}-{db}"),
                "status": "active", "region": "us-east-1", "memoryLimitInGb": 1,
                "memoryUsedInMb": 100, "publicEndpoint": "127.0.0.1:1",
                "security": {"enableTls": false}});
            if password {
                record["security"]["password"] = json!("fleet-db-password");
            }
            record
        };
        let parts: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
        let body = match parts.as_slice() {
            ["v1", "subscriptions"] => json!({"subscriptions": (1..=self.subscriptions)
                .map(|id| json!({"id": id, "numberOfDatabases": self.per}))
                .collect::<Vec<_>>()}),
            ["v1", "fixed", "subscriptions"] => json!({"subscriptions": []}),
            ["v1", "subscriptions", sub, "databases"] => {
                let sub: usize = sub.parse().unwrap();
                json!({"subscription": [{"subscriptionId": sub, "databases": (1..=self.per)
                    .map(|db| record(sub, sub * 1000 + db, false))
                    .collect::<Vec<_>>()}]})
            }
            ["v1", "subscriptions", sub, "databases", db] => {
                record(sub.parse().unwrap(), db.parse().unwrap(), true)
            }
            _ => return ResponseTemplate::new(404).set_body_json(json!({"message": "no"})),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_database_redis_cloud_fleet_stays_within_its_budget() {
    let server = MockServer::start().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(path_regex("^/v1/"))
        .respond_with(RedisCloudFleet {
            subscriptions: 20,
            per: 50,
            arrivals: arrivals.clone(),
        })
        .mount(&server)
        .await;
    let sandbox = Sandbox::new()
        .env("REDIS_CLOUD_API_KEY", "fleet-account-key")
        .env("REDIS_CLOUD_SECRET_KEY", "fleet-secret-key")
        .env("REDIS_CLOUD_API_URL", format!("{}/v1", server.uri()));
    // The default budget (400 a minute), readings back to back: the fleet asks for far more.
    let exporter = Exporter::start(&sandbox, &["--interval", "1"]);
    let watched = Duration::from_secs(15);
    let start = Instant::now();
    let text = exporter
        .until("the fleet read", |t| {
            value(t, "dbctl_profile_databases", &[&profile("redis-cloud")]) == Some(1000.0)
        })
        .await;
    assert!(text.contains("dbctl_database_info{"));
    tokio::time::sleep(watched.saturating_sub(start.elapsed())).await;
    drop(exporter);
    let mut times: Vec<f64> = {
        let arrivals = arrivals.lock().unwrap();
        let first = arrivals[0];
        arrivals
            .iter()
            .map(|t| (*t - first).as_secs_f64())
            .collect()
    };
    times.sort_by(f64::total_cmp);
    // The bucket's envelope: 40 at once, then 6 a second; 400 in any 60 s.
    let envelope = |window: f64| 40.0 + 6.0 * window;
    for window in [0.5, 1.0, 2.0, 5.0, 10.0, 14.0] {
        let busiest = (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| **t <= times[i] + window)
                    .count()
            })
            .max()
            .unwrap();
        // One request of slack for arrival jitter on a loaded machine.
        assert!(
            busiest as f64 <= envelope(window) + 1.0,
            "{busiest} requests within {window} s"
        );
        eprintln!(
            "busiest {window} s: {busiest} requests (envelope {})",
            envelope(window)
        );
    }
    let span = times.last().copied().unwrap_or(0.0);
    eprintln!(
        "1,000-database Redis Cloud fleet: {} requests in {span:.1} s, {:.0} a minute after the first 40 (the envelope allows {} in any 60 s)",
        times.len(),
        (times.len() as f64 - 40.0) / span.max(1.0) * 60.0,
        envelope(60.0)
    );
    // The budget was what held it back: it used what the envelope gave.
    assert!(
        times.len() as f64 >= envelope(span) * 0.7,
        "{} in {span} s",
        times.len()
    );
    assert_eq!(envelope(60.0), 400.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_stays_flat_over_a_hundred_readings() {
    let served = Served::start(&[]);
    // Redis Cloud's 400-a-minute budget would pace 110 quick readings over a minute: this
    // test is about memory, so its profile (from the config file) allows more.
    let sandbox = served
        .vars
        .iter()
        .filter(|(k, _)| !k.starts_with("REDIS_CLOUD_"))
        .fold(crate::common::Sandbox::new(), |sb, (k, v)| {
            sb.env(k, v.clone())
        });
    sandbox.config(&format!(
        "[profiles.redis-cloud]\nprovider = \"redis-cloud\"\napi_key = \"{}\"\nsecret_key = \"{}\"\nurl = \"{}\"\nrate_limit = 100000\n",
        served.var("REDIS_CLOUD_API_KEY"),
        served.var("REDIS_CLOUD_SECRET_KEY"),
        served.var("REDIS_CLOUD_API_URL"),
    ));
    let exporter = Exporter::start(&sandbox, &["--interval", "0.05"]);
    let readings = |t: &str, at_least: f64| {
        ["upstash", "redis-cloud", "redis-enterprise", "cosmos"]
            .iter()
            .all(|p| {
                value(t, "dbctl_profile_refreshes_total", &[&profile(p)])
                    .is_some_and(|n| n >= at_least)
            })
    };
    // Warm: connection pools, the allocator's arenas, the latest signatures kept.
    exporter.until("10 readings", |t| readings(t, 10.0)).await;
    let warm = exporter.rss_kib();
    exporter.until("60 readings", |t| readings(t, 60.0)).await;
    let middle = exporter.rss_kib();
    let text = exporter.until("110 readings", |t| readings(t, 110.0)).await;
    let end = exporter.rss_kib();
    eprintln!(
        "RSS after 10 readings of every profile: {warm} KiB; after 60: {middle} KiB; after 110: {end} KiB"
    );
    assert_eq!(
        value(&text, "dbctl_profile_up", &[&profile("cosmos")]),
        Some(1.0)
    );
    // No growth per reading: the last 50 readings of each profile add no more than noise.
    assert!(end <= middle + 1024, "{warm} → {middle} → {end} KiB");
}

#[test]
fn sigterm_and_ctrl_c_end_it_cleanly_and_no_secret_reaches_a_series() {
    let served = Served::start(&[]);
    for signal in ["TERM", "INT"] {
        let exporter = Exporter::start(&served.sandbox(), &["--interval", "1", "-vv"]);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let text = runtime.block_on(exporter.until("every profile up", |t| {
            t.lines()
                .filter(|l| l.starts_with("dbctl_profile_up{") && l.ends_with(" 1.0"))
                .count()
                == 4
        }));
        let health = runtime.block_on(async {
            reqwest::get(exporter.url("/healthz"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        assert_eq!(health, "ok\n");
        let (code, stderr) = exporter.stop(signal);
        assert_eq!(code, Some(0), "{signal}: {stderr}");
        assert!(stderr.ends_with("metrics serve stopped\n"), "{stderr}");
        for (name, secret) in &served.vars {
            let secret_named = ["KEY", "SECRET", "PASSWORD"]
                .iter()
                .any(|w| name.contains(w));
            if secret_named {
                assert!(!text.contains(secret.as_str()), "{name} in the series");
                assert!(!stderr.contains(secret.as_str()), "{name} on stderr");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_stay_inside_their_label_values() {
    let hostile =
        "a\"b\\c\nevil_series{x=\"1\"} 1\u{1b}[2J\u{202e}##[group]".to_string() + &"z".repeat(300);
    let mut servers = Vec::new();
    for case in cases::all() {
        let server = MockServer::start().await;
        let id = mount_record(&case, &server, &hostile, "127.0.0.1").await;
        servers.push((case.provider, server, id));
    }
    let mut sandbox = Sandbox::new();
    for (case, (_, server, _)) in cases::all().iter().zip(&servers) {
        for (key, value) in (case.env)(&server.uri()) {
            sandbox.set_env(key, value);
        }
    }
    let exporter = Exporter::start(&sandbox, &["--interval", "60"]);
    let text = exporter
        .until("every provider read", |t| {
            t.matches("dbctl_profile_databases{").count() == 4
        })
        .await;
    // 40 characters before the z's; 127 kept in all, then `…`.
    let escaped = format!(
        "a\\\"b\\\\c\\\\nevil_series{{x=\\\"1\\\"}} 1\\\\x1b[2J\\\\u{{202e}}\\\\x23#[group]{}…",
        "z".repeat(127 - 40)
    );
    for (provider, _, _) in &servers {
        let info = text
            .lines()
            .find(|l| {
                l.starts_with("dbctl_database_info{")
                    && l.contains(&format!("provider=\"{provider}\""))
            })
            .unwrap_or_else(|| panic!("no {provider} database:\n{text}"));
        assert!(info.contains(&format!("name=\"{escaped}\"")), "{info}");
    }
    assert!(!text.lines().any(|l| l.starts_with("evil_series")));
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains("##["));
}

#[test]
fn rate_limit_must_be_a_whole_number_of_requests() {
    let sandbox = Sandbox::new();
    sandbox.config(
        "[profiles.x]\nprovider = \"redis-cloud\"\napi_key = \"k\"\nsecret_key = \"s\"\nrate_limit = 2.5\n",
    );
    sandbox
        .run(&["metrics", "serve"])
        .code(3)
        .stderr_has("'rate_limit' in profile 'x' must be a whole number of requests per minute from 1 to 100000 (line 5)");
    // Refused before any port is taken or request sent.
    sandbox
        .run(&[
            "--demo",
            "metrics",
            "serve",
            "--memory-warn",
            "0.9",
            "--memory-error",
            "0.5",
        ])
        .code(2)
        .stderr_has("--memory-warn (0.9) is above --memory-error (0.5)");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_draws_on_the_profiles_budget() {
    let server = MockServer::start().await;
    let names: Vec<String> = (0..20).map(|i| format!("db-{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    upstash(&server, Duration::ZERO, &names).await;
    let sandbox = Sandbox::new();
    // 120 a minute: 12 at once, then 1.8 a second.
    sandbox.config(&format!(
        "{}{}{}",
        upstash_profile("slow", &server, "rate_limit = 120"),
        upstash_profile("usual", &server, ""),
        upstash_profile("tiny", &server, "rate_limit = 1")
    ));
    for (profile, at_least, at_most) in [("slow", 4.5, 15.0), ("usual", 0.0, 3.0)] {
        let started = Instant::now();
        sandbox
            .run(&["db", "stats", "--profile", profile, "--json"])
            .code(0);
        let took = started.elapsed().as_secs_f64();
        eprintln!("db stats of 20 databases, profile {profile}: {took:.1} s");
        // The list and 20 stats: 21 requests, 9 past the burst of the slow profile.
        assert!((at_least..at_most).contains(&took), "{profile}: {took} s");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 42);
    // A request the budget holds past the deadline says so.
    Mock::given(method("GET"))
        .and(path("/v2/redis/database/u0"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"database_id": "u0",
            "database_name": "db-00", "state": "active", "endpoint": "h.upstash.io",
            "port": 6379, "tls": true})),
        )
        .mount(&server)
        .await;
    sandbox
        .run(&["db", "stats", "u0", "--profile", "tiny", "--request-timeout", "2"])
        .code(11)
        .stderr_has("hint: the profile's request budget (1 a minute) held it back: raise rate_limit in profile 'tiny', or --request-timeout");
    assert_eq!(server.received_requests().await.unwrap().len(), 43);
}
