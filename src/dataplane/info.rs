//! `INFO` replies: `# Section` headers and `field:value` lines; unknown fields are skipped and
//! a value that is not a number is `None` (the server is untrusted like any provider).
use serde::Serialize;

/// What usage needs from `INFO memory`, `INFO stats` and `INFO clients`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RedisUsage {
    /// Bytes allocated by Redis (`used_memory`).
    pub used_memory: Option<u64>,
    /// The `maxmemory` directive; `None` when 0 (no limit) or not exposed.
    pub maxmemory: Option<u64>,
    pub instantaneous_ops_per_sec: Option<f64>,
    /// Client connections, the caller's own included.
    pub connected_clients: Option<u64>,
}

/// The four fields from the text of one or more `INFO` replies.
#[cfg(test)]
pub fn parse(text: &str) -> RedisUsage {
    let mut usage = RedisUsage::default();
    for line in text.lines() {
        usage.read_line(line);
    }
    usage
}

impl RedisUsage {
    /// Takes what one `field:value` line says; other lines change nothing.
    pub fn read_line(&mut self, line: &str) {
        let Some((field, value)) = line.trim().split_once(':') else {
            return;
        };
        let value = value.trim();
        match field {
            "used_memory" => self.used_memory = value.parse().ok(),
            "maxmemory" => self.maxmemory = value.parse().ok().filter(|m| *m > 0),
            "instantaneous_ops_per_sec" => {
                self.instantaneous_ops_per_sec = value
                    .parse()
                    .ok()
                    .filter(|o: &f64| o.is_finite() && *o >= 0.0)
            }
            "connected_clients" => self.connected_clients = value.parse().ok(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Abridged from a redis-server 7.0 reply to `INFO memory`, `INFO stats`, `INFO clients`.
    const REPLY: &str = "# Memory\r\nused_memory:1029432\r\nused_memory_human:1005.30K\r\n\
        maxmemory:104857600\r\nmaxmemory_human:100.00M\r\nmaxmemory_policy:noeviction\r\n\r\n\
        # Stats\r\ntotal_connections_received:4\r\ninstantaneous_ops_per_sec:17\r\n\
        instantaneous_input_kbps:0.01\r\n\r\n# Clients\r\nconnected_clients:3\r\n\
        cluster_connections:0\r\nmaxclients:10000\r\n";

    #[test]
    fn reads_the_four_fields() {
        assert_eq!(
            parse(REPLY),
            RedisUsage {
                used_memory: Some(1029432),
                maxmemory: Some(104857600),
                instantaneous_ops_per_sec: Some(17.0),
                connected_clients: Some(3),
            }
        );
    }

    #[test]
    fn no_limit_missing_fields_and_garbage_are_none() {
        let usage = parse(
            "maxmemory:0\nused_memory:lots\ninstantaneous_ops_per_sec:NaN\n\u{1b}]0;x\u{7}\n:\n",
        );
        assert_eq!(usage, RedisUsage::default());
        assert_eq!(parse(""), RedisUsage::default());
    }

    #[test]
    fn bare_newlines_and_spaces_are_accepted() {
        let usage = parse("connected_clients: 12 \nused_memory:5\n");
        assert_eq!(usage.connected_clients, Some(12));
        assert_eq!(usage.used_memory, Some(5));
    }

    proptest::proptest! {
        #[test]
        fn any_text_never_panics(text in ".{0,400}") {
            let _ = parse(&text);
        }
    }
}
