//! Whole outputs as a reader meets them, pinned as insta snapshots (tests/snapshots/): the main
//! tables under `--demo`, whose seeded data is the same on every run, and the man page. A change
//! to any of them is a snapshot diff to review (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test outputs` and read the diff before committing it).
use unicode_width::UnicodeWidthStr;

use crate::common::{Run, Sandbox};

/// `dbctl --demo ARGS` (a command line, quoted as a shell would).
fn demo(args: &str) -> Run {
    Sandbox::new().run(format!("--demo {args}"))
}

/// `table` with each cell `mask` rewrites (given its column's header) rewritten, every column
/// laid out again as dbctl lays it out (one space in front, two between, widths by display
/// width): for figures that move with the clock, so the rest of the table can be pinned.
fn masked(table: &str, mask: impl Fn(&str, &str) -> Option<String>) -> String {
    let rows: Vec<Vec<String>> = table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect();
    let headers = rows[0].clone();
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .enumerate()
        .map(|(n, row)| {
            assert_eq!(row.len(), headers.len(), "row {n} of\n{table}");
            row.into_iter()
                .zip(&headers)
                .map(|(cell, header)| match n {
                    0 => cell,
                    _ => mask(header, &cell).unwrap_or(cell),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| rows.iter().map(|r| r[c].width()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell}{}", " ".repeat(width - cell.width())))
                .collect();
            format!(" {}\n", cells.join("  ").trim_end())
        })
        .collect()
}

#[test]
fn db_list() {
    let run = demo("db list");
    run.code(0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn db_get() {
    let run = demo("db get 1 -p redis-enterprise");
    run.code(0);
    insta::assert_snapshot!("db_get_redis_enterprise", run.stdout);
    let run = demo("db get 'Food DB' -p cosmos --collections");
    run.code(0);
    insta::assert_snapshot!("db_get_cosmos_collections", run.stdout);
}

/// Usage figures follow the clock (a slow wave, sampled now; an autoscaled database's current
/// RU/s too): masked, the rest pinned.
#[test]
fn db_stats() {
    let run = demo("db stats");
    run.code(0);
    let moving = ["USED", "USED%", "OPS/S", "CONN", "SAMPLED"];
    let table = masked(&run.stdout, |header, cell| {
        if moving.contains(&header) {
            return Some("~".into());
        }
        let (_, max) = cell.split_once(" (max ").filter(|_| header == "RU/S")?;
        Some(format!("~ (max {max}"))
    });
    insta::assert_snapshot!(table);
}

/// Every rule whose findings do not move with usage (memory does), exit 13 for the error.
#[test]
fn check() {
    let run = demo("check --rule status --rule tls --rule backups --rule persistence");
    run.code(13);
    assert_eq!(run.stderr, "error: 1 finding at error or above\n");
    insta::assert_snapshot!(run.stdout);
}

/// The demo fleet's own export, changed: one database to create, one to update, one left
/// unmanaged.
#[test]
fn plan() {
    let sb = Sandbox::new();
    let export = sb.run("--demo export");
    export.code(0);
    let removed = "[[database]]\nprofile = \"cosmos\"\nname = \"sessions\"\nprovider = \"cosmos\"\ntls = false\n\n";
    assert!(export.stdout.contains(removed), "{}", export.stdout);
    let spec = export
        .stdout
        .replace(removed, "")
        .replacen("throughput = 400\n", "throughput = 800\n", 1)
        .replacen("memory = \"512MiB\"", "memory = \"1GiB\"", 1)
        + "\n[[database]]\nprofile = \"upstash\"\nname = \"new-cache\"\nregion = \"eu-west-1\"\n";
    let file = sb.home.path().join("fleet.toml");
    std::fs::write(&file, spec).unwrap();
    let run = sb.run(&["--demo", "plan", "-f", &file.display().to_string()]);
    run.code(13);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn man_page() {
    let run = Sandbox::new().run("man");
    run.code(0);
    insta::assert_snapshot!(run.stdout);
}
