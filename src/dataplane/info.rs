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

    use proptest::prelude::*;

    /// Lines a reply may hold: one of the four fields or another, with any value; or text.
    fn lines() -> impl Strategy<Value = Vec<String>> {
        let field =
            "(used_memory|maxmemory|instantaneous_ops_per_sec|connected_clients|maxclients)";
        let value = prop_oneof![
            ".{0,12}",
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| f.to_string())
        ];
        let line = prop_oneof![
            (field, value).prop_map(|(f, v)| format!("{f}:{v}")),
            ".{0,30}"
        ];
        prop::collection::vec(line, 0..12)
    }

    proptest::proptest! {
        /// Any reply: figures a server may have (a rate that is a number from 0 up, no limit
        /// of 0), the last word of each field standing, and every other line changing nothing.
        #[test]
        fn any_reply_gives_only_what_its_field_lines_say(lines in lines()) {
            let usage = parse(&lines.join("\r\n"));
            prop_assert!(usage.instantaneous_ops_per_sec.is_none_or(|o| o.is_finite() && o >= 0.0));
            prop_assert_ne!(usage.maxmemory, Some(0));
            let fields: Vec<&String> = lines
                .iter()
                .filter(|l| ["used_memory:", "maxmemory:", "instantaneous_ops_per_sec:", "connected_clients:"]
                    .iter()
                    .any(|f| l.trim().starts_with(f)))
                .collect();
            let last = fields.last().map(|l| parse(l));
            prop_assert_eq!(parse(&fields.iter().map(|l| format!("{l}\n")).collect::<String>()), usage.clone());
            if fields.len() == 1 {
                prop_assert_eq!(last, Some(usage));
            }
        }

        /// Figures written as `INFO` writes them read back as they were.
        #[test]
        fn written_figures_read_back(
            used_memory in any::<Option<u64>>(),
            maxmemory in proptest::option::of(1..=u64::MAX),
            ops in proptest::option::of(0.0..1e12f64),
            connected_clients in any::<Option<u64>>(),
        ) {
            let written = RedisUsage { used_memory, maxmemory, instantaneous_ops_per_sec: ops, connected_clients };
            let mut text = String::from("# Memory\r\n");
            let pairs = [
                ("used_memory", used_memory.map(|n| n.to_string())),
                ("maxmemory", maxmemory.map(|n| n.to_string())),
                ("instantaneous_ops_per_sec", ops.map(|o| o.to_string())),
                ("connected_clients", connected_clients.map(|n| n.to_string())),
            ];
            for (field, value) in pairs {
                if let Some(value) = value {
                    text.push_str(&format!("{field}:{value}\r\n{field}_human:x\r\n"));
                }
            }
            prop_assert_eq!(parse(&text), written);
        }
    }
}
