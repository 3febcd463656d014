//! A real `redis-server` (Debian's package) on a free loopback port with `--requirepass`,
//! plain or TLS-only with a CA and server certificate made by rcgen; stopped when dropped.
//! A missing or failing redis-server panics: these tests never skip.
use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct RedisServer {
    child: Child,
    pub port: u16,
    pub password: String,
    /// The CA that signed the server's certificate (TLS servers only).
    pub ca_file: Option<PathBuf>,
    dir: TempDir,
}

impl RedisServer {
    /// Plain TCP, `--requirepass`.
    pub fn start() -> RedisServer {
        Self::launch(false)
    }

    /// TLS only (`--port 0 --tls-port P`), a server certificate for 127.0.0.1/localhost.
    pub fn start_tls() -> RedisServer {
        Self::launch(true)
    }

    fn launch(tls: bool) -> RedisServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let password = format!("dataplane-pw-{}-{port}", std::process::id());
        let port_text = port.to_string();
        let mut args: Vec<String> = [
            "--bind",
            "127.0.0.1",
            "--requirepass",
            &password,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(["--dir".into(), dir.path().display().to_string()]);
        let ca_file = if tls {
            let (ca, cert, key) = certificates(&dir);
            args.extend(
                [
                    "--port",
                    "0",
                    "--tls-port",
                    &port_text,
                    "--tls-cert-file",
                    &cert,
                    "--tls-key-file",
                    &key,
                    "--tls-ca-cert-file",
                    &ca,
                    "--tls-auth-clients",
                    "no",
                ]
                .map(String::from),
            );
            Some(PathBuf::from(ca))
        } else {
            args.extend(["--port".into(), port_text]);
            None
        };
        let log = dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run redis-server ({e}): these tests need a real one; \
                     install it with `apt-get install -y redis-server` (.ci/run does)"
                )
            });
        let mut server = RedisServer {
            child,
            port,
            password,
            ca_file,
            dir,
        };
        server.wait_ready(tls);
        server
    }

    /// Waits until the port accepts connections; panics with the server's log otherwise.
    fn wait_ready(&mut self, tls: bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "redis-server exited ({status}) before listening{}:\n{}",
                    if tls {
                        " (does this build support TLS?)"
                    } else {
                        ""
                    },
                    self.log()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "redis-server did not listen on 127.0.0.1:{} within 15 s:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        let mut text = String::new();
        let _ = std::fs::File::open(self.dir.path().join("redis.log"))
            .and_then(|mut f| f.read_to_string(&mut text));
        text
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A CA, and a server certificate it signed for 127.0.0.1 and localhost: (ca, cert, key) paths.
fn certificates(dir: &TempDir) -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "dbctl test CA");
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("server params");
    let key = rcgen::KeyPair::generate().expect("server key");
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .expect("server certificate");
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write PEM");
        path.display().to_string()
    };
    (
        write("ca.pem", ca.pem()),
        write("server.pem", cert.pem()),
        write("server.key", key.serialize_pem()),
    )
}
