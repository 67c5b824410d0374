//! What mends a problem, as steps of the library's own jobs, which each
//! front end names its own way: the command line `climastation run
//! --dataset D --verify-outputs`, Python `archive.run(["D"],
//! verify_outputs=True)`. The library never writes one front end's words
//! into its advice; a [`Spelling`] does, and also spells the fields of a
//! request ([`dwd_catalog::Field`]) in the messages of errors.

use std::path::PathBuf;

use dwd_catalog::Field;

/// One step of a fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Run the dataset's files (every configured dataset's when `None`):
    /// crawl first, hash every table before it is used.
    Run {
        dataset: Option<String>,
        crawl: bool,
        verify_outputs: bool,
    },
    /// Put every failed file back to pending.
    RetryAllFailed,
    /// Remove a file (one that no run recorded).
    Remove(PathBuf),
}

impl Step {
    /// A run of every configured dataset.
    pub fn run() -> Step {
        Step::Run {
            dataset: None,
            crawl: false,
            verify_outputs: false,
        }
    }

    /// A run that crawls first.
    pub fn crawl_and_run() -> Step {
        Step::Run {
            dataset: None,
            crawl: true,
            verify_outputs: false,
        }
    }

    /// A run of `dataset`.
    pub fn run_dataset(dataset: &str) -> Step {
        Step::Run {
            dataset: Some(dataset.to_owned()),
            crawl: false,
            verify_outputs: false,
        }
    }
}

/// What mends a problem: what to do first by hand (if anything), the
/// steps, and a note on when or why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fix {
    pub first: Option<&'static str>,
    pub steps: Vec<Step>,
    pub note: Option<String>,
}

impl Fix {
    pub fn steps(steps: Vec<Step>) -> Fix {
        Fix {
            steps,
            ..Fix::default()
        }
    }

    pub fn first(mut self, first: &'static str) -> Fix {
        self.first = Some(first);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Fix {
        self.note = Some(note.into());
        self
    }

    /// The fix in a front end's words: `first, then step, then step (note)`.
    pub fn render(&self, spell: &dyn Spelling) -> String {
        let mut parts: Vec<String> = self.first.iter().map(|f| (*f).to_owned()).collect();
        parts.extend(self.steps.iter().map(|s| spell.step(s)));
        let mut out = parts.join(", then ");
        if let Some(note) = &self.note {
            out.push_str(&format!(" ({note})"));
        }
        out
    }
}

impl std::fmt::Display for Fix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(&Named))
    }
}

/// How a front end names the fields of a request and the steps of a fix.
/// A front end says how it runs and retries; the rest is shared.
pub trait Spelling {
    /// A field of a request; by default its own name (Python's keyword,
    /// the HTTP API's parameter).
    fn field(&self, field: Field) -> String {
        field.name().to_owned()
    }

    /// A run of `dataset` (every configured one when `None`), crawling
    /// first, verifying the outputs.
    fn run(&self, dataset: Option<&str>, crawl: bool, verify_outputs: bool) -> String;

    /// Every failed file back to pending.
    fn retry_all_failed(&self) -> String;

    /// A step of a fix.
    fn step(&self, step: &Step) -> String {
        match step {
            Step::Run {
                dataset,
                crawl,
                verify_outputs,
            } => self.run(dataset.as_deref(), *crawl, *verify_outputs),
            Step::RetryAllFailed => self.retry_all_failed(),
            Step::Remove(path) => format!("remove {}", path.display()),
        }
    }
}

/// The library's own words: each field by its name, each step as the job
/// with its request's fields (`run(dataset=daily/kl, verify_outputs)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Named;

impl Spelling for Named {
    fn run(&self, dataset: Option<&str>, crawl: bool, verify_outputs: bool) -> String {
        let mut args: Vec<String> = dataset
            .iter()
            .map(|d| format!("{}={d}", Field::Dataset.name()))
            .collect();
        if crawl {
            args.push("crawl".into());
        }
        if verify_outputs {
            args.push("verify_outputs".into());
        }
        format!("run({})", args.join(", "))
    }

    fn retry_all_failed(&self) -> String {
        "retry(all_failed)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_is_steps_in_the_front_ends_words() {
        let fix = Fix::steps(vec![Step::RetryAllFailed, Step::run()])
            .first("fix this machine")
            .note("space, permissions");
        assert_eq!(
            fix.to_string(),
            "fix this machine, then retry(all_failed), then run() (space, permissions)"
        );
        let verify = Fix::steps(vec![Step::Run {
            dataset: Some("daily/kl".into()),
            crawl: false,
            verify_outputs: true,
        }]);
        assert_eq!(verify.to_string(), "run(dataset=daily/kl, verify_outputs)");
    }
}
