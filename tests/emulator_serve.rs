//! `dbctl emulator serve` as a stand-in for the four providers, data plane included: every
//! host it lists is loopback, every Redis database it lists answers there, and no local client
//! can grow its store, stop its listener or make it buffer without bound.
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Sandbox, Served};

const REDIS_PROVIDERS: [&str; 3] = ["upstash", "redis-cloud", "redis-enterprise"];

/// Every string in `value` a client could dial: an IPv4 address, or a DNS name ending in a
/// letter label, each with or without a `:port`.
fn hosts_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let host = match text.rsplit_once(':') {
                Some((host, port)) if port.parse::<u16>().is_ok() => host,
                _ => text,
            };
            let name = host.contains('.')
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                && host
                    .rsplit('.')
                    .next()
                    .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()));
            if name || host.parse::<std::net::Ipv4Addr>().is_ok() {
                out.push(host.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| hosts_in(v, out)),
        Value::Object(map) => map.values().for_each(|v| hosts_in(v, out)),
        _ => {}
    }
}

/// Asserts every host in `records` (the `--raw` provider records too) is loopback.
fn assert_only_loopback_hosts(records: &Value) {
    let mut hosts = Vec::new();
    hosts_in(records, &mut hosts);
    assert!(
        hosts.len() >= records.as_array().unwrap().len(),
        "{hosts:?}"
    );
    for host in hosts {
        assert!(
            host == "127.0.0.1" || host.ends_with(".dbctl.localhost"),
            "a host off the machine: {host}"
        );
    }
}

/// The one port every Redis database in `records` is listed with.
fn data_plane_port(records: &Value) -> u16 {
    let ports: std::collections::BTreeSet<u64> = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| REDIS_PROVIDERS.contains(&r["provider"].as_str().unwrap()))
        .map(|r| r["port"].as_u64().expect("a port"))
        .collect();
    assert_eq!(ports.len(), 1, "one data-plane port: {ports:?}");
    ports.into_iter().next().unwrap() as u16
}

fn list(sb: &Sandbox, args: &[&str]) -> Value {
    let run = sb.run(&[&["db", "list", "--json"], args].concat());
    run.code(0);
    run.json()
}

/// Sends `request` to the data plane and reads what it answers until it closes the
/// connection (a reset too: it closes with part of a refused command unread).
fn exchange(port: u16, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the data plane");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A refused command may close the connection before all of it is sent.
    let _ = stream.write_all(request);
    let mut reply = Vec::new();
    let mut buffer = [0; 64 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return reply,
            Ok(n) => reply.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return reply,
            Err(e) => panic!("the data plane did not close the connection: {e}"),
        }
    }
}

fn ping(port: u16) -> String {
    String::from_utf8_lossy(&exchange(port, b"PING\r\nQUIT\r\n")).into_owned()
}

#[test]
fn serve_lists_only_loopback_hosts_and_every_redis_database_answers_there() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    for create in [
        &["-p", "upstash", "--region", "us-east-1"][..],
        &["-p", "redis-cloud", "--subscription", "2145833"],
        &["-p", "redis-enterprise", "--memory", "1GB"],
        &["-p", "cosmos"],
    ] {
        sb.run(&[&["db", "create", "--name", "made-here"], create].concat())
            .code(0);
    }
    let records = list(&sb, &["--raw"]);
    assert_only_loopback_hosts(&records);
    let made: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] == "made-here")
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(made.len(), 4, "{made:?}");
    // Not a made-up port: the one the data plane got.
    let port = data_plane_port(&records);
    assert_eq!(ping(port), "+PONG\r\n+OK\r\n");

    let ping = sb.run("db ping --json");
    ping.code(0);
    let results = ping.json();
    let redis: Vec<&Value> = results
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| REDIS_PROVIDERS.contains(&r["provider"].as_str().unwrap()))
        .collect();
    assert_eq!(redis.len(), 16, "13 seeded and 3 made");
    for result in redis {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["port"], port, "{result}");
    }
}

/// Bound to ::1 only, its `localhost` database names are still reached: dbctl dials ::1 when
/// nothing answers at 127.0.0.1. SIGTERM (`docker stop`) ends it with exit 0, as Ctrl-C does.
#[test]
fn bound_to_ipv6_loopback_the_data_plane_answers_and_sigterm_stops_it_cleanly() {
    let served = Served::start(&["--bind", "::1"]);
    assert!(
        served.var("UPSTASH_API_URL").starts_with("http://[::1]:"),
        "{:?}",
        served.vars
    );
    let ping = served.sandbox().run("db ping -p upstash --json");
    ping.code(0);
    let results = ping.json();
    assert!(!results.as_array().unwrap().is_empty());
    for result in results.as_array().unwrap() {
        assert_eq!(result["ok"], true, "{result}");
    }
    // redis-cli, handed one address, gets the one that answers.
    served
        .sandbox()
        .run("db connect sessions-cache -p upstash -- PING")
        .code(0)
        .stdout_has("PONG");
    let status = served.terminate();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// SIGTERM the moment the ready line is out is a clean stop too: the handler is in place
/// before the line is printed.
#[test]
fn sigterm_right_after_the_ready_line_is_a_clean_stop() {
    for _ in 0..10 {
        let status = Served::start(&[]).terminate();
        assert_eq!(status.code(), Some(0), "{status:?}");
    }
}

#[test]
fn demo_lists_only_loopback_hosts_with_the_same_ports_every_run() {
    let listed = || {
        let records = list(&Sandbox::new(), &["--demo", "--raw"]);
        assert_only_loopback_hosts(&records);
        records
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{}:{}", r["endpoint"], r["port"]))
            .collect::<Vec<_>>()
    };
    let first = listed();
    assert!(
        first.contains(&"\"sessions-cache-1.upstash.dbctl.localhost\":6379".to_string()),
        "{first:?}"
    );
    assert_eq!(first, listed());
}

#[test]
fn data_plane_keeps_accepting_after_running_out_of_file_descriptors() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", "ulimit -n 64 && exec \"$0\" emulator serve --port 0"])
        .arg(assert_cmd::cargo::cargo_bin("dbctl"))
        .env_clear()
        .stderr(log.reopen().unwrap());
    let served = Served::spawn(command);
    let port = data_plane_port(&list(&served.sandbox(), &["-p", "upstash"]));
    let logged = || std::fs::read_to_string(log.path()).unwrap();

    // More connections than the emulator has descriptors: accepting fails with EMFILE.
    let held: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    let started = Instant::now();
    while !logged().contains("cannot accept") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no accept error"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Retried every 50 ms while it lasts, logged once.
    std::thread::sleep(Duration::from_millis(300));
    let text = logged();
    assert_eq!(
        text,
        "emulator data plane: cannot accept a connection (Too many open files (os error 24)); retrying\n"
    );

    drop(held);
    assert_eq!(ping(port), "+PONG\r\n+OK\r\n");
}

/// The demo's `leaderboard` settles after 20 s of the emulator's clock and a Redis Cloud task
/// after 1.2 s: on the real clock by default, in no time on a fast one (`--demo` reads
/// `DBCTL_EMULATOR_SPEED`, `emulator serve` `--speed` too), and `task wait --interval` polls
/// as often as asked.
#[test]
fn the_emulators_clock_runs_as_fast_as_asked() {
    let leaderboard = |sb: &Sandbox| {
        let got = sb.run("--demo db get 2 -p redis-enterprise --json");
        got.code(0);
        got.json()["provider_status"].clone()
    };
    assert_eq!(leaderboard(&Sandbox::new()), "active-change-pending");
    assert_eq!(leaderboard(&Sandbox::new().fast()), "active");
    let started = Instant::now();
    Sandbox::new()
        .env("DBCTL_EMULATOR_SPEED", "1000")
        .run("--demo db wait 2 -p redis-enterprise --status active --interval 0.05")
        .code(0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    for (speed, finished) in [("1", false), ("1000", true)] {
        let served = Served::start(&["--speed", speed]);
        let sb = served.sandbox_for("REDIS_CLOUD_");
        let created = sb.run("db create --subscription 2145833 --name soon --json");
        created.code(0);
        let task = created.json()["id"].as_str().unwrap().to_string();
        std::thread::sleep(Duration::from_millis(150));
        let got = sb.run(&["task", "get", &task, "--json"]);
        assert_eq!(
            got.json()["status"] == "completed",
            finished,
            "--speed {speed}: {}",
            got.stdout
        );
        let started = Instant::now();
        let waited = sb.run(&["task", "wait", &task, "--interval", "0.05", "--json"]);
        waited.code(0);
        assert_eq!(waited.json()["status"], "completed");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "--speed {speed}: {:?}",
            started.elapsed()
        );
    }
    Sandbox::new()
        .run("emulator serve --port 0 --speed 0.5")
        .code(2)
        .stderr_has("the speed must be a factor from 1 to 1000000, got \"0.5\"");
}

#[test]
fn emulator_settings_past_the_bound_or_not_numbers_are_one_line_exit_3() {
    let fleet = "must be a number of databases up to 10000";
    let cloud =
        "must be SUBSxDBS (e.g. 20x150) of up to 100 subscriptions and 10000 databases in all";
    let speed = "must be a factor from 1 to 1000000";
    for (var, value, wanted) in [
        ("DBCTL_EMULATOR_FLEET", "10001", fleet),
        ("DBCTL_EMULATOR_FLEET", "-1", fleet),
        ("DBCTL_EMULATOR_FLEET", "1e9", fleet),
        ("DBCTL_EMULATOR_FLEET", "many\u{1b}[2J", fleet),
        ("DBCTL_EMULATOR_REDIS_CLOUD_BENCH", "101x99", cloud),
        ("DBCTL_EMULATOR_REDIS_CLOUD_BENCH", "1000x1", cloud),
        (
            "DBCTL_EMULATOR_REDIS_CLOUD_BENCH",
            "99999999999x99999999999",
            cloud,
        ),
        ("DBCTL_EMULATOR_REDIS_CLOUD_BENCH", "20", cloud),
        ("DBCTL_EMULATOR_SPEED", "0", speed),
        ("DBCTL_EMULATOR_SPEED", "1e9", speed),
        ("DBCTL_EMULATOR_SPEED", "fast\u{1b}[2J", speed),
    ] {
        for args in [
            &["emulator", "serve", "--port", "0"][..],
            &["--demo", "db", "list"],
        ] {
            let run = Sandbox::new().env(var, value).run(args);
            run.code(3);
            assert_eq!(run.stdout, "");
            assert_eq!(
                run.stderr,
                format!("error: {var} {wanted}, got {value:?}\n")
            );
        }
    }
    Sandbox::new()
        .env("DBCTL_EMULATOR_FLEET", "2")
        .run("--demo db list -p cosmos")
        .code(0)
        .stdout_has("fleet-0001");
}

#[test]
fn a_full_store_refuses_creates_in_each_providers_shape_and_lists_whole() {
    let mut command = Served::command(&[]);
    command
        .env("DBCTL_EMULATOR_FLEET", "10000")
        .env("DBCTL_EMULATOR_REDIS_CLOUD_BENCH", "1x10000");
    let served = Served::spawn(command);
    let sb = served.sandbox();
    let full = "database limit reached: this emulated account holds at most 10000 databases";
    for (args, code, answer) in [
        (
            &["-p", "upstash", "--region", "us-east-1"][..],
            6,
            "upstash answered 400 Bad Request",
        ),
        (
            &["-p", "redis-cloud", "--subscription", "3000000"],
            6,
            "redis-cloud answered 400 Bad Request",
        ),
        (
            &["-p", "redis-enterprise", "--memory", "1GB"],
            6,
            "redis-enterprise answered 406 Not Acceptable",
        ),
        (&["-p", "cosmos"], 4, "cosmos answered 403 Forbidden"),
    ] {
        let run = sb.run(&[&["db", "create", "--name", "one-more"], args].concat());
        run.code(code);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert_eq!(first, format!("error: {answer}: {full}"));
    }
    // CSV, the lightest format to write and to count (a row starts with its provider).
    let listed = sb.run("db list -o csv");
    listed.code(0);
    for provider in ["upstash", "redis-cloud", "redis-enterprise", "cosmos"] {
        let count = listed
            .stdout
            .lines()
            .filter(|row| row.starts_with(&format!("{provider},")))
            .count();
        assert_eq!(count, 10_000, "{provider}");
    }
}

#[test]
fn long_strings_big_records_and_big_bodies_are_refused_and_stored_nowhere() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let long = "a".repeat(1025);
    let padded =
        serde_json::json!({"a": "x".repeat(1000), "b": "x".repeat(1000), "c": "x".repeat(1000)})
            .to_string();
    let upstash_id = list(&sb, &["-p", "upstash"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let too_long = "a value of 1025 bytes is longer than the 1024 bytes allowed";
    for (provider, method, path, body, refusal) in [
        (
            "upstash",
            "POST",
            "/redis/database".to_string(),
            serde_json::json!({"database_name": long, "primary_region": "us-east-1"}).to_string(),
            too_long,
        ),
        (
            "upstash",
            "POST",
            format!("/redis/rename/{upstash_id}"),
            serde_json::json!({ "name": long }).to_string(),
            too_long,
        ),
        (
            "redis-cloud",
            "POST",
            "/subscriptions/2145833/databases".to_string(),
            serde_json::json!({ "name": long }).to_string(),
            too_long,
        ),
        (
            "redis-enterprise",
            "POST",
            "/v1/bdbs".to_string(),
            serde_json::json!({"name": long, "memory_size": 1u64 << 30}).to_string(),
            too_long,
        ),
        (
            "redis-cloud",
            "PUT",
            "/subscriptions/2145833/databases/13008822".to_string(),
            padded.clone(),
            "more than the 3072 allowed",
        ),
        (
            "redis-enterprise",
            "PUT",
            "/v1/bdbs/1".to_string(),
            padded.clone(),
            "more than the 3072 allowed",
        ),
        (
            "upstash",
            "POST",
            "/redis/database".to_string(),
            serde_json::json!({ "database_name": "x".repeat(2 << 20) }).to_string(),
            "413 Payload Too Large",
        ),
    ] {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), body).unwrap();
        let data = format!("@{}", file.path().display());
        let run = sb.run(&["api", provider, method, &path, "--data", &data]);
        run.code(6).stderr_has(refusal);
    }
    let records = list(&sb, &["--raw"]);
    let text = records.to_string();
    assert!(!text.contains(&long) && !text.contains(&"x".repeat(1000)));
    assert_eq!(records.as_array().unwrap().len(), 17);
}

#[test]
fn data_plane_drops_a_command_past_64_kib_and_keeps_serving() {
    let served = Served::start(&[]);
    let port = data_plane_port(&list(&served.sandbox(), &["-p", "upstash"]));

    // Just under the cap: answered.
    let message = "m".repeat(60_000);
    let near = format!("*2\r\n$4\r\nPING\r\n$60000\r\n{message}\r\nQUIT\r\n");
    let reply = exchange(port, near.as_bytes());
    assert_eq!(reply, format!("$60000\r\n{message}\r\n+OK\r\n").as_bytes());

    // Two arguments of 40,000 bytes: past 64 KiB together, closed with no answer.
    let argument = "x".repeat(40_000);
    let over = format!("*2\r\n$40000\r\n{argument}\r\n$40000\r\n{argument}\r\nPING\r\n");
    assert_eq!(exchange(port, over.as_bytes()), b"");

    // An endless line: the connection closes long before 16 MiB are sent.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let chunk = [b'a'; 64 * 1024];
    let mut sent = 0;
    let refused = loop {
        match stream.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) => break e,
        }
        assert!(sent < 16 << 20, "the data plane buffered {sent} bytes");
    };
    assert!(
        matches!(
            refused.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
        ),
        "{refused}"
    );

    assert_eq!(ping(port), "+PONG\r\n+OK\r\n");
}
