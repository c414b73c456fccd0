//! What `crm-admin customer` and `service` share: the import and export arguments, the
//! progress bar and the summary.

use super::{CliError, id};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use isp_crm::domain::ids::{IspId, ResellerId};
use isp_crm::store::Store;
use isp_crm::transfer::export::{self, Format, Selection};
use isp_crm::transfer::import;
use isp_crm::transfer::kind::Kind;
use isp_crm::transfer::options::{ImportOptions, Progress, Summary};
use isp_crm::transfer::source::{Source, SourceOptions, TextEncoding};
use isp_crm::transfer::{Problem, TransferError};
use std::path::PathBuf;

#[derive(Args)]
pub struct ImportArgs {
    /// The file: CSV with a header row of our field names (see --map), or, if its name ends
    /// in .json, a JSON array of flat objects. Read twice (checks, then writes): not a pipe.
    #[arg(long)]
    file: PathBuf,
    /// Read another CRM's columns as ours: --map "Client No=id,Phone=mobile"
    #[arg(long, value_delimiter = ',', value_parser = column_map)]
    map: Vec<(String, String)>,
    /// The file's text encoding (auto: byte-order mark, UTF-16 by its zero bytes, UTF-8 if
    /// valid, else Windows-1252)
    #[arg(long, value_enum, default_value_t)]
    encoding: TextEncoding,
    /// The separator (default: Excel's sep= line, else the commonest of , ; and tab in the header)
    #[arg(long, value_parser = delimiter)]
    delimiter: Option<u8>,
    /// Import the valid rows and leave out the refused ones (default: any refused row means
    /// nothing is written)
    #[arg(long)]
    skip_invalid: bool,
    /// Write the refused rows here (the file's columns and a reason), to fix and import again
    #[arg(long, requires = "skip_invalid")]
    rejects: Option<PathBuf>,
    /// Only check every row and report the refused ones; write nothing
    #[arg(long, conflicts_with_all = ["skip_invalid", "resume"])]
    check: bool,
    /// Continue an interrupted import of the same file (from <file>.journal), with the same ids
    #[arg(long)]
    resume: bool,
    /// Keep no journal (for a small file imported again and again, e.g. a dev seed): no
    /// --resume, no refusal to import the same file twice, no <file>.ids.csv
    #[arg(long, conflicts_with = "resume")]
    no_journal: bool,
    /// Leave the id counter below the highest kept id (new records then skip kept ids as they
    /// meet them)
    #[arg(long)]
    keep_counter: bool,
    /// Stop after writing N rows, as an interruption would (to try --resume)
    #[arg(long, hide = true, value_name = "N")]
    stop_after: Option<u64>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The ISP whose records to write (required unless a customer's `--id` is given)
    #[arg(long, value_parser = id::<IspId>)]
    isp: Option<IspId>,
    /// Only this reseller of the ISP
    #[arg(long, value_parser = id::<ResellerId>)]
    reseller: Option<ResellerId>,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write here instead of standard output
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// Start the CSV with a byte-order mark (Excel then reads it as UTF-8)
    #[arg(long)]
    bom: bool,
}

fn column_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((old, new)) if !old.trim().is_empty() && !new.trim().is_empty() => {
            Ok((old.trim().to_owned(), new.trim().to_lowercase()))
        }
        _ => Err("give OLD=NEW pairs, e.g. \"Client No=id,Phone=mobile\"".into()),
    }
}

fn delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err("one ASCII character, or tab".into()),
    }
}

/// The progress bar of pass 2 and the problems of pass 1, on standard error.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn warn(&self, text: &str) {
        self.0.suspend(|| eprintln!("warning: {text}"));
    }
    fn problem(&self, p: &Problem) {
        self.0.suspend(|| eprintln!("{p}"));
    }
    fn start(&self, rows: u64) {
        self.0.set_length(rows);
        self.0.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {per_sec}, {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    fn advance(&self, rows: u64) {
        self.0.inc(rows);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub async fn run_import<K: Kind>(
    store: &Store,
    args: ImportArgs,
    kind: K,
    target: &str,
) -> Result<(), CliError> {
    let opts = SourceOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        map: args.map,
    };
    let source = Source::open(&args.file, &opts)?;
    eprintln!("{}: {}", args.file.display(), source.describe());
    let import_opts = ImportOptions {
        skip_invalid: args.skip_invalid,
        rejects: args.rejects.clone(),
        resume: args.resume,
        keep_counter: args.keep_counter,
        stop_after: args.stop_after,
        check_only: args.check,
    };
    let bar = Bar(ProgressBar::new(0));
    let journal = (!args.no_journal).then_some(args.file.as_path());
    let s: Summary = import::import(store, &source, journal, kind, &import_opts, &bar).await?;
    if args.check {
        eprintln!(
            "{} rows checked: {} refused, nothing written, {:.1} s ({target})",
            s.rows,
            s.rejected,
            s.elapsed.as_secs_f64()
        );
        return match s.rejected {
            0 => Ok(()),
            n => Err(TransferError::Refused(n as usize).into()),
        };
    }
    let rejects = match (&args.rejects, s.rejected) {
        (Some(p), 1..) => format!(" (written to {})", p.display()),
        _ => String::new(),
    };
    eprintln!(
        "{} rows: created {}, skipped {} (written before), rejected {}{rejects}, {:.1} s ({target})",
        s.rows,
        s.created,
        s.skipped,
        s.rejected,
        s.elapsed.as_secs_f64()
    );
    if let Some(map) = &s.id_map {
        eprintln!("old ids → new ids: {}", map.display());
    }
    if s.interrupted {
        return Err(CliError::Usage(
            "stopped before the end as asked: --resume to continue".into(),
        ));
    }
    Ok(())
}

pub async fn run_export(
    store: &Store,
    args: ExportArgs,
    customers: bool,
    target: &str,
) -> Result<(), CliError> {
    let Some(isp) = args.isp else {
        return Err(CliError::Usage(
            "--isp is required (or, for one customer's export, --id N)".into(),
        ));
    };
    let sel = Selection {
        isp,
        reseller: args.reseller,
    };
    let out: Box<dyn std::io::Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let n = match customers {
        true => export::customers(store, sel, out, args.format, args.bom).await?,
        false => export::services(store, sel, out, args.format, args.bom).await?,
    };
    let what = if customers { "customers" } else { "services" };
    eprintln!("exported {n} {what} ({target})");
    Ok(())
}
