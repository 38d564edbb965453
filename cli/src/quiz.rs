//! `hysim quiz`: a run as a quiz for a trainee. Before each step that asks (a `quiz` list, or
//! an `expect` step), the trainee predicts the facts it names; then the step's events, the
//! rules behind them and their sources are shown, and each prediction marked right or wrong.
//! A score and the steps to re-read end it. Answers come from standard input, a line each, or
//! from an answers file (`--answers`): step numbers to the answers, in the order asked.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

use hysim_engine::report::{ScenarioReport, StepReport, show};
use hysim_engine::scenario::format::Scalar;
use hysim_engine::scenario::quiz::{Answer, Question, StepQuiz};
use hysim_engine::scenario::{self, InputError};
use serde_json::Value as Json;

use crate::explain;
use crate::style::Style;
use crate::text;
use crate::{EXIT_INPUT_ERROR, EXIT_OK};

/// The largest answers file read (bytes): a trainer writes it by hand.
const MAX_ANSWERS_BYTES: u64 = 1024 * 1024;

/// The letter of option `i`: `a`, `b`, ... (past `z`, `?`; a question offers at most a few).
fn letter(i: usize) -> char {
    u8::try_from(i)
        .ok()
        .filter(|i| *i < 26)
        .map_or('?', |i| char::from(b'a' + i))
}

/// A value as a choice reads: the report's words, `none` for null.
fn option_text(v: &Json) -> String {
    match v {
        Json::Null => "none".into(),
        Json::Bool(true) => "yes".into(),
        Json::Bool(false) => "no".into(),
        other => show(other),
    }
}

/// The question, in words.
fn wording(q: &Question) -> String {
    let h = &q.fact.subject;
    let c = q.fact.check.as_str();
    let base = match (h.as_str(), c) {
        ("restore", who) => {
            format!("What status does the most recent restore session give {who}?")
        }
        ("sync", "errors") => "Which error codes does the most recent sync cycle produce?".into(),
        ("sync", _) => "How does the most recent sync cycle's export end?".into(),
        (_, "entra") => format!("What is {h}'s state in Entra ID?"),
        (_, "ad") => format!("What is {h}'s state in AD?"),
        (_, "hybrid") => {
            format!("Is {h} hybrid (a live Entra user joined to a live AD user, synced)?")
        }
        (_, "object_id") => {
            format!("Does {h}'s Entra object have its original object id, or a new one?")
        }
        (_, "object_guid") => {
            format!("Does {h}'s AD object have its original objectGUID, or a new one?")
        }
        (_, "groups") => format!("Which Entra groups is {h} a member of?"),
        (_, "roles") => format!("Which directory roles does {h} hold?"),
        (_, "licenses") => format!("Which licences does {h} have (direct and inherited)?"),
        (_, "apps") => format!("Which app role assignments does {h} have?"),
        (_, "owns") => format!("Which groups does {h} own?"),
        (_, "ad_groups") => format!("Which AD groups is {h} a member of?"),
        (_, "manager") => format!("Who is {h}'s manager in Entra ID?"),
        (_, "relations") => {
            format!("Has {h} kept every Entra relation it had at the first backup, or lost some?")
        }
        (_, "upn") => format!("What is {h}'s userPrincipalName?"),
        (_, "count") => format!("How many live Entra objects carry the handle {h}?"),
        (_, p) => match (
            p.strip_prefix("properties."),
            p.strip_prefix("ad_properties."),
        ) {
            (Some(name), _) => format!("What is {h}'s Entra property {name}?"),
            (_, Some(name)) => format!("What is {h}'s AD attribute {name}?"),
            _ => format!("What is {h}'s {p}?"),
        },
    };
    match &q.is {
        Some(v) => format!("{base} Is it {}?", option_text(v)),
        None => base,
    }
}

/// How to answer, under the question.
fn how(q: &Question) -> String {
    let choices = || {
        q.options
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{}) {}", letter(i), option_text(o)))
            .collect::<Vec<_>>()
            .join("   ")
    };
    match q.answer {
        Answer::YesNo => "y or n".into(),
        Answer::One => format!("{}   (one letter)", choices()),
        Answer::Many if q.options.is_empty() => "nothing to choose from: `-` for none".into(),
        Answer::Many => format!(
            "{}   (every letter that applies, e.g. `a c`; `-` for none)",
            choices()
        ),
    }
}

/// Reads an answer to `q`: letters, or the choices' own words (`yes`/`no` for a yes-or-no
/// question; names separated by commas for a set; `-` or `none` for the empty set).
fn parse(q: &Question, text: &str) -> Result<BTreeSet<usize>, String> {
    let t = text.trim();
    let lower = t.to_lowercase();
    let n = q.options.len();
    if t.is_empty() {
        return Err("an empty answer".into());
    }
    if q.answer == Answer::YesNo {
        return match lower.as_str() {
            "y" | "yes" | "true" => Ok(BTreeSet::from([0])),
            "n" | "no" | "false" => Ok(BTreeSet::from([1])),
            _ => Err(format!("`{t}` is not y or n")),
        };
    }
    let by_words = |w: &str| {
        q.options
            .iter()
            .position(|o| option_text(o).eq_ignore_ascii_case(w.trim()))
    };
    // Letters first: `b`, `a c`, `a,c`.
    let tokens: Vec<&str> = lower
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    let letters: Option<BTreeSet<usize>> = tokens
        .iter()
        .map(|tok| {
            let mut cs = tok.chars();
            match (cs.next(), cs.next()) {
                (Some(c @ 'a'..='z'), None) => Some(usize::from(c as u8 - b'a')).filter(|i| *i < n),
                _ => None,
            }
        })
        .collect();
    let range = match n {
        0 => "no letters".to_string(),
        1 => "a".to_string(),
        _ => format!("a to {}", letter(n - 1)),
    };
    match q.answer {
        Answer::One => {
            if let Some(l) = letters
                .as_ref()
                .filter(|l| l.len() == 1 && tokens.len() == 1)
            {
                return Ok(l.clone());
            }
            if let Some(i) = by_words(t) {
                return Ok(BTreeSet::from([i]));
            }
            if tokens.len() > 1 && letters.is_some() {
                return Err("one letter only: this question has one answer".into());
            }
            Err(format!(
                "`{t}` is not one of the letters ({range}) or choices"
            ))
        }
        _ => {
            if t == "-" || lower == "none" && by_words("none").is_none() {
                return Ok(BTreeSet::new());
            }
            if let Some(l) = letters {
                return Ok(l);
            }
            let mut out = BTreeSet::new();
            for w in t.split(',') {
                match by_words(w) {
                    Some(i) => {
                        out.insert(i);
                    }
                    None => {
                        return Err(format!(
                            "`{}` is not one of the letters ({range}) or choices (names are separated by commas; `-` for none)",
                            w.trim()
                        ));
                    }
                }
            }
            Ok(out)
        }
    }
}

/// An answer as the transcript shows it.
fn said(q: &Question, picked: &BTreeSet<usize>) -> String {
    let texts: Vec<String> = picked
        .iter()
        .filter_map(|i| q.options.get(*i))
        .map(option_text)
        .collect();
    match q.answer {
        Answer::Many => format!("[{}]", texts.join(", ")),
        _ => texts.join(", "),
    }
}

/// The mark and the truth of one prediction.
fn feedback(out: &mut String, i: usize, q: &Question, picked: &BTreeSet<usize>, style: Style) {
    let truth = said(q, &q.right);
    let fact = format!("{} {}", q.fact.subject, q.fact.check);
    let is =
        q.is.as_ref()
            .map(|v| format!(" is {}", option_text(v)))
            .unwrap_or_default();
    if *picked == q.right {
        let _ = writeln!(out, "    {} {i}. {fact}{is}: {truth}", style.pass("✓"));
        return;
    }
    let mut line = format!(
        "    {} {i}. {fact}{is}: you said {}; it is {truth}",
        style.fail("✗"),
        said(q, picked)
    );
    if q.answer == Answer::Many {
        let missed: Vec<usize> = q.right.difference(picked).copied().collect();
        let extra: Vec<usize> = picked.difference(&q.right).copied().collect();
        let names = |is: &[usize]| {
            is.iter()
                .filter_map(|i| q.options.get(*i))
                .map(option_text)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !missed.is_empty() {
            let _ = write!(line, "; missed {}", names(&missed));
        }
        if !extra.is_empty() {
            let _ = write!(line, "; not there: {}", names(&extra));
        }
    }
    if let Some(d) = &q.detail {
        let _ = write!(line, " — {d}");
    }
    let _ = writeln!(out, "{line}");
}

/// Where answers come from.
enum Source {
    /// Standard input, a line each; end of input stops the quiz.
    Terminal(std::io::StdinLock<'static>),
    /// An answers file, read and checked before the quiz starts: by step, in the order asked.
    File(BTreeMap<usize, Vec<String>>),
}

/// What the quiz did, for the end.
#[derive(Default)]
struct Tally {
    /// Whether the end of input stopped the quiz before its end.
    stopped: bool,
    asked: usize,
    right: usize,
    /// The steps with a wrong prediction.
    reread: Vec<usize>,
}

/// Where the quiz writes: standard output, or a text (the renderers' tests).
struct Screen {
    style: Style,
    text: Option<String>,
}

impl Screen {
    /// Writes `text` as a terminal may show it.
    fn say(&mut self, text: &str) -> Result<(), u8> {
        let safe = self.style.safe(text);
        match &mut self.text {
            Some(t) => {
                t.push_str(&safe);
                Ok(())
            }
            None => crate::output::emit(safe.as_bytes(), EXIT_INPUT_ERROR),
        }
    }
}

/// Asks one question until it gets an answer; `None` at the end of input.
fn ask(
    q: &Question,
    i: usize,
    n: usize,
    source: &mut Source,
    screen: &mut Screen,
) -> Result<Option<BTreeSet<usize>>, u8> {
    let style = screen.style;
    screen.say(&format!("  {i}. {}\n     {}\n", wording(q), how(q)))?;
    loop {
        screen.say("  > ")?;
        let line = match source {
            Source::File(answers) => {
                // Checked before the quiz started: every step and answer is there.
                let a = answers
                    .get(&n)
                    .and_then(|a| a.get(i - 1))
                    .cloned()
                    .unwrap_or_default();
                screen.say(&format!("{a}\n"))?;
                a
            }
            Source::Terminal(stdin) => {
                let mut line = String::new();
                match stdin.read_line(&mut line) {
                    Ok(0) => {
                        screen.say("\n")?;
                        return Ok(None);
                    }
                    // A terminal shows what was typed; answers piped in are shown here.
                    Ok(_) if !std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
                        let shown = line.trim_end_matches(['\n', '\r']);
                        screen.say(&format!("{shown}\n"))?;
                        line
                    }
                    Ok(_) => line,
                    Err(e) => {
                        eprintln!("error: cannot read standard input: {e}");
                        return Err(EXIT_INPUT_ERROR);
                    }
                }
            }
        };
        match parse(q, &line) {
            Ok(p) => return Ok(Some(p)),
            // An answers file was checked before the quiz started; asking again would loop.
            Err(why) if matches!(source, Source::File(_)) => {
                eprintln!("error: step {n}, answer {i}: {why}");
                return Err(EXIT_INPUT_ERROR);
            }
            Err(why) => screen.say(&format!(
                "    {}\n",
                style.warn(&format!("Not an answer: {why}. Try again."))
            ))?,
        }
    }
}

/// What happened at a step: its sets, events and rules, and the checks of an `expect`.
fn happened(out: &mut String, step: &StepReport, r: &ScenarioReport, style: Style) {
    text::selected_lines(out, &step.selected, "  ", style);
    let mine: Vec<_> = r.checks.iter().filter(|c| c.step == Some(step.n)).collect();
    if mine.is_empty() || !step.events.is_empty() {
        explain::events_and_rules(out, &step.events, style);
    }
    if !mine.is_empty() {
        explain::checks(out, &mine, style);
    }
}

/// The quiz, step by step: what was asked and answered right, or the exit code of a failed
/// write or read.
fn play(
    s: &scenario::Scenario,
    r: &ScenarioReport,
    quiz: &[StepQuiz],
    mut source: Source,
    screen: &mut Screen,
) -> Result<Tally, u8> {
    let style = screen.style;
    let mut head = String::new();
    let _ = writeln!(head, "{}", style.header(&format!("Quiz: {}", s.title)));
    let _ = writeln!(head, "Scenario {} ({})", s.name, s.file);
    for src in &s.sources {
        let _ = writeln!(head, "Source: {src}");
    }
    let asked: usize = quiz.iter().map(|q| q.questions.len()).sum();
    let _ = writeln!(
        head,
        "\n{} of the {} steps ask you to predict what they do ({asked} questions): answer each, then see what happened and why.",
        quiz.len(),
        r.steps.len()
    );
    if matches!(source, Source::Terminal(_)) {
        let _ = writeln!(
            head,
            "Type the letter of an answer (or its words), then Enter; Ctrl-D stops the quiz."
        );
    }
    for w in &r.world_warnings {
        let _ = writeln!(
            head,
            "{}",
            style.warn(&format!("Not as written: {}: {}", w.subject, w.message))
        );
    }
    screen.say(&head)?;
    let mut tally = Tally::default();
    for step in &r.steps {
        screen.say(&format!(
            "\n{}\n",
            style.step(&format!("Step {}. {}", step.n, step.step))
        ))?;
        let Some(q) = quiz.iter().find(|q| q.n == step.n) else {
            let mut out = String::new();
            happened(&mut out, step, r, style);
            screen.say(&out)?;
            continue;
        };
        screen.say(if q.from_expect {
            "  Predict what this `expect` finds:\n"
        } else {
            "  Predict what is true once this step has run:\n"
        })?;
        let mut picks = Vec::new();
        for (i, question) in q.questions.iter().enumerate() {
            match ask(question, i + 1, step.n, &mut source, screen)? {
                Some(p) => picks.push(p),
                None => {
                    screen.say(&format!(
                        "End of input: the quiz stops at step {}.\n",
                        step.n
                    ))?;
                    tally.stopped = true;
                    return Ok(tally);
                }
            }
        }
        let mut out = String::new();
        happened(&mut out, step, r, style);
        let _ = writeln!(out, "  Your predictions:");
        let mut wrong = false;
        for (i, (question, p)) in q.questions.iter().zip(&picks).enumerate() {
            feedback(&mut out, i + 1, question, p, style);
            tally.asked += 1;
            if *p == question.right {
                tally.right += 1;
            } else {
                wrong = true;
            }
        }
        if wrong {
            tally.reread.push(step.n);
        }
        screen.say(&out)?;
    }
    let end: Vec<_> = r.checks.iter().filter(|c| c.step.is_none()).collect();
    if !end.is_empty() {
        let failed = end.iter().filter(|c| !c.passed).count();
        let mut out = format!(
            "\n{}\n  The final `expect`: {}\n",
            style.step("At the end"),
            text::counts(end.len() - failed, failed, style)
        );
        for c in end.iter().filter(|c| !c.passed) {
            text::check_line(&mut out, c, "    ", style);
        }
        screen.say(&out)?;
    }
    Ok(tally)
}

/// The score and the steps to re-read.
fn score(tally: &Tally, r: &ScenarioReport, style: Style) -> String {
    let mut out = String::new();
    let so_far = if tally.stopped { " so far" } else { "" };
    let line = format!("Score{so_far}: {} of {} right", tally.right, tally.asked);
    let _ = writeln!(
        out,
        "\n{}",
        if tally.right == tally.asked {
            style.pass(&line)
        } else {
            style.fail(&line)
        }
    );
    if tally.reread.is_empty() {
        if tally.asked > 0 {
            let _ = writeln!(out, "Every prediction was right: nothing to re-read.");
        } else if !tally.stopped {
            let _ = writeln!(
                out,
                "No step asks a question: give a step a `quiz` list, or add an `expect` step."
            );
        }
    } else {
        let _ = writeln!(out, "Steps to re-read:");
        for n in &tally.reread {
            let text = r
                .steps
                .iter()
                .find(|s| s.n == *n)
                .map_or("", |s| s.step.as_str());
            let _ = writeln!(out, "  Step {n}. {text}");
        }
    }
    out
}

/// The line of the key `n:` in an answers file, for its messages.
fn key_line(text: &str, n: usize) -> Option<usize> {
    let key = format!("{n}:");
    text.lines()
        .position(|l| l.trim_start().starts_with(&key))
        .map(|i| i + 1)
}

/// An answer as text: words as written, `yes`/`no`, a list's names separated by commas, `-`
/// for null.
fn scalar_text(v: &Scalar) -> String {
    match v {
        Scalar::Null => "-".into(),
        Scalar::Bool(true) => "yes".into(),
        Scalar::Bool(false) => "no".into(),
        Scalar::Text(t) => t.clone(),
        Scalar::List(l) if l.is_empty() => "-".into(),
        Scalar::List(l) => l.join(", "),
    }
}

/// Reads an answers file and checks it against the questions: every step that asks has its
/// answers, one readable answer per question, and no other step is answered. Every error is
/// returned.
fn answers(
    path: &Path,
    quiz: &[StepQuiz],
) -> Result<BTreeMap<usize, Vec<String>>, Vec<InputError>> {
    let file = path.display().to_string();
    let err = |line: Option<usize>, at: Option<String>, message: String| InputError {
        file: file.clone(),
        line,
        column: None,
        path: at,
        message,
    };
    let bytes =
        scenario::read_limited(path, MAX_ANSWERS_BYTES, "an answers").map_err(|e| vec![e])?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(vec![err(
            None,
            None,
            "the file is not UTF-8 text: an answers file is a YAML document".into(),
        )]);
    };
    let example = "e.g. `5: [b, \"a c\", y]`: a step number, then its answers in the order asked";
    if text.trim().is_empty() {
        return Err(vec![err(
            None,
            None,
            format!("the file is empty: expected the answers by step, {example}"),
        )]);
    }
    let read: BTreeMap<usize, Vec<Scalar>> = scenario::yaml::from_str(&text).map_err(|e| {
        vec![InputError {
            file: file.clone(),
            line: e.line,
            column: e.column,
            path: None,
            message: format!(
                "{} (expected the answers by step, {example})",
                e.message.replace("a sequence", "a list")
            ),
        }]
    })?;
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    let asking: Vec<String> = quiz.iter().map(|q| q.n.to_string()).collect();
    for n in read.keys() {
        if !quiz.iter().any(|q| q.n == *n) {
            errors.push(err(
                key_line(&text, *n),
                Some(n.to_string()),
                format!(
                    "step {n} asks no questions (the steps that ask: {})",
                    asking.join(", ")
                ),
            ));
        }
    }
    for q in quiz {
        let Some(given) = read.get(&q.n) else {
            errors.push(err(
                None,
                Some(q.n.to_string()),
                format!(
                    "no answers for step {}, which asks {} question{}",
                    q.n,
                    q.questions.len(),
                    if q.questions.len() == 1 { "" } else { "s" }
                ),
            ));
            continue;
        };
        let line = key_line(&text, q.n);
        if given.len() != q.questions.len() {
            errors.push(err(
                line,
                Some(q.n.to_string()),
                format!(
                    "{} answer{} for step {}, which asks {} question{}",
                    given.len(),
                    if given.len() == 1 { "" } else { "s" },
                    q.n,
                    q.questions.len(),
                    if q.questions.len() == 1 { "" } else { "s" }
                ),
            ));
            continue;
        }
        let mut texts = Vec::new();
        for (i, (a, question)) in given.iter().zip(&q.questions).enumerate() {
            let t = scalar_text(a);
            if let Err(why) = parse(question, &t) {
                errors.push(err(
                    line,
                    Some(format!("{}[{i}]", q.n)),
                    format!(
                        "{why} (question {}: {} {})",
                        i + 1,
                        wording(question),
                        how(question)
                    ),
                ));
            }
            texts.push(t);
        }
        out.insert(q.n, texts);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `hysim quiz FILE [--answers FILE]`: exit 0 when the quiz ran (to its end, or to the end of
/// input), whatever the score; 2 on an input error (the scenario, or the answers file); 3 on an
/// engine defect.
pub fn command(file: &Path, answers_file: Option<&Path>) -> u8 {
    let Some(s) = crate::load_one(file) else {
        return EXIT_INPUT_ERROR;
    };
    let (report, quiz) = match scenario::quiz::quiz(&s) {
        Ok(r) => r,
        Err(e) => return crate::report_stopped(&[e]),
    };
    let source = match answers_file {
        Some(path) => match answers(path, &quiz) {
            Ok(a) => Source::File(a),
            Err(errors) => {
                crate::report_errors(&errors);
                return EXIT_INPUT_ERROR;
            }
        },
        None => Source::Terminal(std::io::stdin().lock()),
    };
    let style = Style::detect();
    let mut screen = Screen { style, text: None };
    let tally = match play(&s, &report, &quiz, source, &mut screen) {
        Ok(t) => t,
        Err(code) => return code,
    };
    crate::output::then(screen.say(&score(&tally, &report, style)), EXIT_OK)
}

/// The right answers to every question, as they would be typed: `y`/`n`, or letters (`-` for
/// none).
fn right_answers(quiz: &[StepQuiz]) -> BTreeMap<usize, Vec<String>> {
    quiz.iter()
        .map(|q| {
            let answers = q
                .questions
                .iter()
                .map(|question| match question.answer {
                    Answer::YesNo if question.right.contains(&0) => "y".to_string(),
                    Answer::YesNo => "n".to_string(),
                    _ if question.right.is_empty() => "-".to_string(),
                    // Past the letters, by the choices' words.
                    _ if question.options.len() > 26 => question
                        .right
                        .iter()
                        .filter_map(|i| question.options.get(*i))
                        .map(option_text)
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => question
                        .right
                        .iter()
                        .map(|i| letter(*i).to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                })
                .collect();
            (q.n, answers)
        })
        .collect()
}

/// The transcript of a quiz taken with every answer right, and its score (for the renderers'
/// tests and fuzz target).
pub fn render(
    s: &scenario::Scenario,
    r: &ScenarioReport,
    quiz: &[StepQuiz],
    style: Style,
) -> String {
    let mut screen = Screen {
        style,
        text: Some(String::new()),
    };
    let tally = play(s, r, quiz, Source::File(right_answers(quiz)), &mut screen);
    let mut text = screen.text.unwrap_or_default();
    match tally {
        Ok(t) => text.push_str(&style.safe(&score(&t, r, style))),
        Err(code) => text.push_str(&format!("stopped with exit code {code}\n")),
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hysim_engine::scenario::quiz::Fact;
    use serde_json::json;

    fn q(answer: Answer, options: &[Json], right: &[usize]) -> Question {
        Question {
            fact: Fact {
                subject: "alice".into(),
                check: "groups".into(),
            },
            answer,
            is: None,
            options: options.to_vec(),
            right: right.iter().copied().collect(),
            actual: Json::Null,
            detail: None,
        }
    }

    #[test]
    fn answers_are_letters_or_the_choices_words() {
        let set = q(
            Answer::Many,
            &[json!("Auditors"), json!("Finance"), json!("Project X")],
            &[0, 2],
        );
        let want = BTreeSet::from([0, 2]);
        assert_eq!(parse(&set, "a c").unwrap(), want);
        assert_eq!(parse(&set, " a,c\n").unwrap(), want);
        assert_eq!(parse(&set, "auditors, Project X").unwrap(), want);
        assert_eq!(parse(&set, "-").unwrap(), BTreeSet::new());
        assert!(parse(&set, "d").is_err());
        assert!(parse(&set, "Project").is_err());
        assert!(parse(&set, "").is_err());
        let one = q(
            Answer::One,
            &[json!("original"), json!("new"), json!("none")],
            &[1],
        );
        assert_eq!(parse(&one, "b").unwrap(), BTreeSet::from([1]));
        assert_eq!(parse(&one, "New").unwrap(), BTreeSet::from([1]));
        assert_eq!(parse(&one, "none").unwrap(), BTreeSet::from([2]));
        assert!(parse(&one, "a b").is_err());
        let yn = q(Answer::YesNo, &[json!(true), json!(false)], &[0]);
        assert_eq!(parse(&yn, "Y").unwrap(), BTreeSet::from([0]));
        assert_eq!(parse(&yn, "no").unwrap(), BTreeSet::from([1]));
        assert!(parse(&yn, "maybe").is_err());
    }
}
