//! `hysim explain FILE --html`, run as a built binary: one self-contained page with a picture of
//! both directories after every step, the changes of each step marked, every piece of scenario
//! text escaped, a large tenant drawn as a summary; and the page opened in headless Chromium as
//! a trainer would open it: each step's picture holds its objects, the script runs without an
//! error and shows one step at a time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{hysim, stderr, stdout, temp};

const SCENARIO_01: &str = "scenarios/01-cloud-only-deletion.yaml";

fn page(file: &str) -> String {
    let o = hysim(&["explain", file, "--html"]);
    assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
    stdout(&o)
}

/// The picture of step `n` (0: the world before step 1).
fn picture(html: &str, n: usize) -> &str {
    let start = html
        .find(&format!("data-step=\"{n}\" xmlns="))
        .unwrap_or_else(|| panic!("no picture of step {n}"));
    let end = start + html[start..].find("</svg>").unwrap();
    &html[start..end]
}

/// The figure of step `n`: its picture and its caption.
fn figure(html: &str, n: usize) -> &str {
    let start = html.find(&format!("data-step=\"{n}\" xmlns=")).unwrap();
    let end = start + html[start..].find("</figure>").unwrap();
    &html[start..end]
}

/// The names `hysim graph` draws after step `n`: the first line of every node's label.
fn drawn_names(file: &str, n: usize) -> Vec<String> {
    let o = hysim(&["graph", file, "--after", &n.to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .filter_map(|l| {
            let open = l.find("\"")?;
            let id = l.trim_start();
            (id.starts_with('n') && !l.contains("-->") && !l.contains("-.->"))
                .then(|| l[open + 1..].split("<br/>").next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn explain_html_draws_every_step_of_a_runbook_in_one_self_contained_page() {
    let html = page(SCENARIO_01);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    // The scenario: title, source, description.
    assert!(
        html.contains("<h1>Synced user removed from Entra ID only, restored before any sync</h1>")
    );
    assert!(html.contains(
        "<a href=\"https://helpcenter.veeam.com/docs/vdc/provider/entra_id_restore_user_sync.html\">"
    ));
    assert!(html.contains("Alice is synchronized from AD by Entra Connect."));
    // One picture for the world and for each of the 7 steps, each with both directories.
    assert_eq!(html.matches("<svg class=\"world").count(), 8);
    for n in 0..=7 {
        let svg = picture(&html, n);
        assert!(svg.contains("Active Directory: contoso.com"), "step {n}");
        assert!(
            svg.contains("Entra ID: contoso.onmicrosoft.com"),
            "step {n}"
        );
        for name in drawn_names(SCENARIO_01, n) {
            assert!(
                svg.contains(&format!("data-label=\"{name}\"")),
                "step {n}: {name}"
            );
        }
    }
    // Nothing from the network: no scripts, styles, fonts or images to fetch.
    for external in ["src=", "<link", "@import", "url(http", "@font-face"] {
        assert!(!html.contains(external), "{external}");
    }
    // Step 2 changes alice's title in AD; step 3 purges her from Entra ID; step 5 re-creates her
    // with a new object id and her relations; the events carry their rules and sources.
    let step2 = figure(&html, 2);
    assert!(
        step2.contains("<span class=\"chg\">changed</span> alice (AD)"),
        "{step2}"
    );
    let step3 = figure(&html, 3);
    assert!(
        step3.contains("<span class=\"chg\">gone for good</span> alice (Entra ID)"),
        "{step3}"
    );
    assert_eq!(picture(&html, 3).matches("data-label=\"alice\"").count(), 1);
    assert_eq!(picture(&html, 5).matches("data-label=\"alice\"").count(), 2);
    let step5 = figure(&html, 5);
    assert!(
        step5.contains("<span class=\"chg\">new</span> alice (Entra ID)"),
        "{step5}"
    );
    assert!(
        step5.contains("class=\"added\""),
        "relations added: {step5}"
    );
    let section5 = &html[html.find("id=\"step-5\"").unwrap()..html.find("id=\"step-6\"").unwrap()];
    assert!(section5.contains("[VDC-4]"), "{section5}");
    assert!(section5.contains("<dt>VDC-4</dt>"), "{section5}");
    // Checks of a mid-run expect, and the final ones.
    let section4 = &html[html.find("id=\"step-4\"").unwrap()..html.find("id=\"step-5\"").unwrap()];
    assert!(
        section4.contains("<li class=\"pass\">✓ alice entra: absent</li>"),
        "{section4}"
    );
    let end = &html[html.find("id=\"end\"").unwrap()..];
    assert!(end.contains("✓ alice hybrid: true"), "{end}");
    // The same bytes every time.
    assert_eq!(page(SCENARIO_01), html);
}

/// A cloud-only user deleted softly, with names full of characters the markup reads.
const WEIRD: &str = r#"title: 'A "quoted" <title> & </script> more'
description: "line <one>\nline 'two' & \u0007 bell"
world:
  entra:
    users:
      carol: {displayName: "Carol <b>"}
    groups:
      'R&D <core> "x" \ end': {members: [carol]}
    roles:
      end: [carol]
steps:
  - backup: b
  - delete: {user: carol, from: entra}
"#;

#[test]
fn explain_html_escapes_scenario_text_and_greys_deleted_objects() {
    let f = temp("weird.yaml", WEIRD);
    let html = page(f.to_str().unwrap());
    assert!(
        html.contains("<h1>A &quot;quoted&quot; &lt;title&gt; &amp; &lt;/script&gt; more</h1>")
    );
    assert!(html.contains("line &lt;one&gt;\nline &#39;two&#39; &amp; \\u{7} bell"));
    assert!(html.contains("data-label=\"R&amp;D &lt;core&gt; &quot;x&quot; \\ end\""));
    for raw in ["<core>", "<title> &", "</script> more", "\u{7}"] {
        assert!(!html.contains(raw), "{raw} unescaped");
    }
    assert_eq!(html.matches("<script>").count(), 1);
    // Step 2 deletes carol softly: her box is greyed and says so.
    let step2 = picture(&html, 2);
    assert!(
        step2.contains("class=\"obj entra user deleted changed\" data-label=\"carol\""),
        "{step2}"
    );
    assert!(step2.contains("(soft-deleted)"), "{step2}");
    assert!(figure(&html, 2).contains("<span class=\"chg\">deleted</span> carol (Entra ID)"));
}

/// Writes a generated tenant of `users` users and returns its path.
fn generated(users: usize) -> PathBuf {
    let f = temp(&format!("g{users}.yaml"), "");
    let o = hysim(&[
        "generate",
        "--users",
        &users.to_string(),
        "--force",
        "-o",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    f
}

#[test]
fn explain_html_draws_a_large_tenant_as_a_summary_of_reasonable_size() {
    let f = generated(1000);
    let html = page(f.to_str().unwrap());
    assert!(html.len() < 400_000, "{} bytes", html.len());
    assert_eq!(html.matches("<svg class=\"world summary\"").count(), 5);
    for n in 0..=4 {
        let svg = picture(&html, n);
        for ou in 0..10 {
            assert!(
                svg.contains(&format!("data-label=\"OU{ou:02}\"")),
                "step {n}"
            );
        }
        assert!(svg.contains("data-label=\"Users · synced\""), "step {n}");
    }
    // The purge of step 2: 100 users gone from Entra ID, named up to 30 and counted.
    let step2 = figure(&html, 2);
    assert!(step2.contains("u0000004 (Entra ID)"), "{step2}");
    assert!(step2.contains(" and 70 more</p>"), "{step2}");
}

#[test]
fn explain_html_counts_the_ous_past_the_first_40_in_one_box() {
    let mut yaml = String::from("title: many OUs\nworld:\n  ad:\n    users:\n");
    for ou in 0..45 {
        for u in 0..3 {
            yaml.push_str(&format!("      u{ou}x{u}: {{ou: 'OU {ou} more OUs'}}\n"));
        }
    }
    yaml.push_str("steps:\n  - sync\n");
    let f = temp("many-ous.yaml", &yaml);
    let html = page(f.to_str().unwrap());
    let svg = picture(&html, 1);
    assert!(html.contains("<svg class=\"world summary\" data-step=\"1\""));
    assert!(svg.contains(">OU OU 39 more OUs</text>"), "{svg}");
    assert!(!svg.contains("OU 40 more OUs"), "{svg}");
    assert!(svg.contains(">5 more OUs</text>"), "{svg}");
    assert!(svg.contains(">15 users · 0 groups</text>"), "{svg}");
}

// ---- In a browser ---------------------------------------------------------------------------

/// A headless Chromium to open pages with, or why there is none.
fn chromium() -> Result<PathBuf, String> {
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        if let Ok(o) = Command::new(name).arg("--version").output()
            && o.status.success()
        {
            return Ok(PathBuf::from(name));
        }
    }
    Err("Chromium is not installed (apt-get install chromium); .ci/run installs it".into())
}

/// Opens `page` in headless Chromium and returns the document after its script ran, and what
/// the browser logged (console messages included).
fn open(browser: &Path, page: &Path) -> (String, String) {
    open_at(browser, page, "")
}

/// [`open`] at an address ending in `fragment` (`#step-3`).
fn open_at(browser: &Path, page: &Path, fragment: &str) -> (String, String) {
    let profile = page.with_extension("profile");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        // Into files, not pipes: a page larger than a pipe's buffer would stall the browser
        // while this waits for it to finish.
        .stdout(std::fs::File::create(page.with_extension("dom")).unwrap())
        .stderr(std::fs::File::create(page.with_extension("log")).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            panic!(
                "Chromium did not finish with {} in 3 minutes",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    let log =
        String::from_utf8_lossy(&std::fs::read(page.with_extension("log")).unwrap()).into_owned();
    assert!(status.success(), "Chromium failed: {log}");
    (
        std::fs::read_to_string(page.with_extension("dom")).unwrap(),
        log,
    )
}

/// The id of the one section shown.
fn shown(dom: &str) -> &str {
    let s = dom
        .split("<section ")
        .skip(1)
        .find(|s| !s[..s.find('>').unwrap()].contains("hidden"))
        .unwrap();
    let at = s.find("id=\"").unwrap() + 4;
    &s[at..at + s[at..].find('"').unwrap()]
}

/// The page's script ran to its end, logged nothing (no uncaught error), and shows one step.
fn assert_opened_without_error(dom: &str, log: &str, what: &str) {
    assert!(
        dom.contains("data-ready=\"yes\""),
        "{what}: the script did not finish"
    );
    for line in log.lines() {
        assert!(
            !line.contains(":CONSOLE") && !line.contains("Uncaught"),
            "{what}: {line}"
        );
    }
    assert!(dom.matches("<section class=\"step\"").count() > 1, "{what}");
    let shown = dom
        .split("<section ")
        .skip(1)
        .filter(|s| !s[..s.find('>').unwrap()].contains("hidden"))
        .count();
    assert_eq!(shown, 1, "{what}: one step at a time");
    assert!(
        dom.contains("<nav id=\"nav\">"),
        "{what}: the navigation is shown"
    );
}

#[test]
fn explain_html_opens_in_a_browser_with_each_steps_objects_drawn() {
    let browser = match chromium() {
        Ok(b) => b,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let html = page(SCENARIO_01);
    let file = temp("01.html", &html);
    let (dom, log) = open(&browser, &file);
    assert_opened_without_error(&dom, &log, SCENARIO_01);
    for n in 0..=7 {
        let svg = picture(&dom, n);
        for name in drawn_names(SCENARIO_01, n) {
            assert!(
                svg.contains(&format!("data-label=\"{name}\""))
                    && svg.contains(&format!(">{name}</text>")),
                "step {n}: {name}"
            );
        }
    }

    // An address ending in a step opens that step.
    let (dom, log) = open_at(&browser, &file, "#step-3");
    assert_opened_without_error(&dom, &log, "01.html#step-3");
    assert_eq!(shown(&dom), "step-3");
    // Next twice, the → key, Previous: step 2. And the last step's Next stays on the end.
    let clicks = "<script>var next = document.getElementById(\"next\");next.click(); next.click();document.dispatchEvent(new KeyboardEvent(\"keydown\", {key: \"ArrowRight\"}));document.getElementById(\"prev\").click();</script>";
    let stepped = temp(
        "01-stepped.html",
        &html.replace("</body>", &format!("{clicks}</body>")),
    );
    let (dom, log) = open(&browser, &stepped);
    assert_opened_without_error(&dom, &log, "Next, Next, →, Previous");
    assert_eq!(shown(&dom), "step-2");
    let ends = "<script>for (var i = 0; i < 20; i++) { document.getElementById(\"next\").click(); }</script>";
    let ended = temp(
        "01-ended.html",
        &html.replace("</body>", &format!("{ends}</body>")),
    );
    let (dom, log) = open(&browser, &ended);
    assert_opened_without_error(&dom, &log, "Next past the end");
    assert_eq!(shown(&dom), "end");
    assert!(
        dom.contains("<button id=\"next\" type=\"button\" disabled=\"\">"),
        "Next is disabled at the end"
    );

    // A generated tenant of 1,000 users: a summary picture per step.
    let g = generated(1000);
    let file = temp("g1000.html", &page(g.to_str().unwrap()));
    let (dom, log) = open(&browser, &file);
    assert_opened_without_error(&dom, &log, "1,000 users");
    for n in 0..=4 {
        let svg = picture(&dom, n);
        for ou in 0..10 {
            assert!(svg.contains(&format!(">OU OU{ou:02}</text>")), "step {n}");
        }
    }
}
