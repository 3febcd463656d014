//! A number out of range is a usage error saying the range a flag takes.
use crate::common::Sandbox;

#[test]
fn a_watch_interval_out_of_range_names_the_range() {
    let sb = Sandbox::new();
    for value in ["4294967295", "0.5", "1e9"] {
        let run = sb.run(&["--demo", "db", "list", "-w", "--interval", value]);
        run.code(2);
        assert_eq!(
            run.stderr.lines().next().unwrap(),
            format!(
                "error: invalid value '{value}' for '--interval <SECS>': expected at least 1 \
                 second between refreshes (1 to 999999999), got \"{value}\""
            )
        );
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn a_limit_is_at_least_one_and_any_larger_count_means_all() {
    let sb = Sandbox::new();
    for value in ["0", "-1", "x"] {
        let run = sb.run(&["--demo", "db", "list", &format!("--limit={value}")]);
        run.code(2);
        assert_eq!(
            run.stderr.lines().next().unwrap(),
            format!(
                "error: invalid value '{value}' for '--limit <N>': expected a number of items, \
                 at least 1, got \"{value}\""
            )
        );
    }
    let all = sb.run(&["--demo", "db", "list", "-q", "length(@)"]);
    all.code(0);
    let past_u64 = ["--limit", "99999999999999999999999", "-q", "length(@)"];
    let run = sb.run(&[&["--demo", "db", "list"][..], &past_u64].concat());
    run.code(0);
    assert_eq!(run.stdout, all.stdout);
}
